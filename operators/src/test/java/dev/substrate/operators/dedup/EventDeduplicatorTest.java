package dev.substrate.operators.dedup;

import static dev.substrate.operators.testing.GovernanceFixtures.gpu;
import static dev.substrate.operators.testing.GovernanceFixtures.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DuplicateEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.testing.GovernanceFixtures;
import dev.substrate.schemas.wire.Sourced;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EventDeduplicatorTest {

    private static final Duration HORIZON = Duration.ofMinutes(10);

    private KeyedOneInputStreamOperatorTestHarness<
                    Tuple2<Long, Long>, Sourced<GpuSample>, Sourced<GpuSample>>
            harness;

    @BeforeEach
    void open() throws Exception {
        harness =
                ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                        new EventDeduplicator<>(GpuSample.class, "substrate.gpu-samples", HORIZON),
                        new EventIdSelector<>(),
                        EventIdSelector.KEY_TYPE);
        harness.setStateTtlProcessingTime(0);
        harness.setProcessingTime(0);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    @Test
    void firstRecordOfAnIdPassesAndLaterOnesAreRecordedAsDuplicates() throws Exception {
        harness.processElement(new StreamRecord<>(sourced(gpu("a", 1_000, 50)), 1_000));
        harness.processElement(new StreamRecord<>(sourced(gpu("b", 2_000, 50)), 2_000));
        harness.setProcessingTime(5_000);
        harness.processElement(new StreamRecord<>(sourced(gpu("a", 1_000, 50)), 1_000));
        harness.processElement(new StreamRecord<>(sourced(gpu("a", 1_000, 99)), 3_000));

        assertThat(harness.extractOutputValues())
                .extracting(s -> s.record().getEventId())
                .containsExactly("a", "b");
        List<DuplicateEvent> duplicates =
                harness.getSideOutput(EventDeduplicator.DUPLICATES).stream()
                        .map(StreamRecord::getValue)
                        .toList();
        assertThat(duplicates).hasSize(2);
        assertThat(duplicates).allSatisfy(d -> assertThat(d.getEventId()).isEqualTo("a"));
        assertThat(duplicates)
                .allSatisfy(d -> assertThat(d.getFirstSeenAt().toEpochMilli()).isZero());
        assertThat(duplicates.get(0).getSameContent()).as("a redelivery").isTrue();
        assertThat(duplicates.get(1).getSameContent()).as("the id reused for other data").isFalse();
        assertThat(duplicates.get(1).getEventTime().toEpochMilli()).isEqualTo(3_000);
        assertThat(duplicates.get(0).getContentFingerprint())
                .hasSize(32)
                .isNotEqualTo(duplicates.get(1).getContentFingerprint());
        assertThat(duplicates.get(0).getSourceTopic()).isEqualTo("substrate.gpu-samples");
    }

    @Test
    void anIdIsForgottenAfterTheHorizonAndItsStateIsCleanedUp() throws Exception {
        harness.processElement(new StreamRecord<>(sourced(gpu("a", 1_000, 50)), 1_000));
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);

        harness.setStateTtlProcessingTime(HORIZON.toMillis() - 1);
        harness.processElement(new StreamRecord<>(sourced(gpu("a", 1_000, 50)), 1_000));
        assertThat(harness.getSideOutput(EventDeduplicator.DUPLICATES)).hasSize(1);

        harness.setStateTtlProcessingTime(HORIZON.toMillis() + 1);
        // Accessing other keys drives the incremental cleanup over the expired entry of "a".
        for (int i = 0; i < 20; i++) {
            harness.processElement(
                    new StreamRecord<>(sourced(gpu("other-" + i, 2_000, 50)), 2_000));
        }
        assertThat(harness.numKeyedStateEntries()).as("expired id purged").isEqualTo(20);

        harness.processElement(new StreamRecord<>(sourced(gpu("a", 1_000, 50)), 1_000));
        assertThat(harness.extractOutputValues())
                .extracting(s -> s.record().getEventId())
                .filteredOn("a"::equals)
                .as("accepted again after the horizon")
                .hasSize(2);
        assertThat(harness.getSideOutput(EventDeduplicator.DUPLICATES)).hasSize(1);
    }

    @Test
    void aReplayOfADeadLetterIsNotTheDuplicateOfTheRecordItReplays() throws Exception {
        // The original passed deduplication and was then refused by a quality rule.
        harness.processElement(new StreamRecord<>(sourced(gpu("a", 1_000, 150)), 1_000));
        harness.setProcessingTime(60_000);
        String topic = "substrate.gpu-samples";

        harness.processElement(
                new StreamRecord<>(GovernanceFixtures.replayOf(gpu("a", 1_000, 150), topic, 0), 1));
        // Replaying the same dead letter twice lands it once.
        harness.processElement(
                new StreamRecord<>(GovernanceFixtures.replayOf(gpu("a", 1_000, 150), topic, 0), 2));
        // Another dead letter of the same id is another replay.
        harness.processElement(
                new StreamRecord<>(GovernanceFixtures.replayOf(gpu("a", 1_000, 150), topic, 5), 3));

        assertThat(harness.extractOutputValues())
                .extracting(Sourced::replayOf)
                .containsExactly(null, topic + "/0/0", topic + "/0/5");
        assertThat(harness.getSideOutput(EventDeduplicator.DUPLICATES))
                .singleElement()
                .satisfies(d -> assertThat(d.getValue().getEventId()).isEqualTo("a"));
    }
}
