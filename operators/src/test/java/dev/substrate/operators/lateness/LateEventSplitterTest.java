package dev.substrate.operators.lateness;

import static dev.substrate.operators.testing.GovernanceFixtures.audit;
import static dev.substrate.operators.testing.GovernanceFixtures.gpu;
import static dev.substrate.operators.testing.GovernanceFixtures.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.LateEvent;
import dev.substrate.operators.testing.GovernanceFixtures;
import dev.substrate.schemas.wire.Sourced;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LateEventSplitterTest {

    @TempDir Path dir;

    @Test
    void recordsBehindTheWatermarkBeyondTheAllowedLatenessGoToLateEvents() throws Exception {
        try (OneInputStreamOperatorTestHarness<Sourced<GpuSample>, Sourced<GpuSample>> harness =
                gpuSplitter()) {
            harness.processElement(
                    new StreamRecord<>(sourced(gpu("before-any-watermark", 1, 1)), 1));
            harness.processWatermark(new Watermark(100_000));
            harness.processElement(
                    new StreamRecord<>(sourced(gpu("on-time", 100_500, 1)), 100_500));
            harness.processElement(
                    new StreamRecord<>(sourced(gpu("within-lateness", 95_000, 1)), 95_000));
            harness.processElement(new StreamRecord<>(sourced(gpu("late", 94_999, 1)), 94_999));
            harness.processElement(
                    new StreamRecord<>(sourced(gpu("very-late", 40_000, 1)), 40_000));

            assertThat(harness.extractOutputValues())
                    .extracting(s -> s.record().getEventId())
                    .containsExactly("before-any-watermark", "on-time", "within-lateness");
            List<LateEvent> late =
                    harness.getSideOutput(LateEventSplitter.LATE_EVENTS).stream()
                            .map(StreamRecord::getValue)
                            .toList();
            assertThat(late).extracting(LateEvent::getEventId).containsExactly("late", "very-late");
            assertThat(late).extracting(LateEvent::getLatenessMs).containsExactly(5_001L, 60_000L);
            assertThat(late.get(0).getWatermark().toEpochMilli()).isEqualTo(100_000);
            assertThat(late.get(0).getAllowedLatenessMs()).isEqualTo(5_000);
            assertThat(late.get(0).getRecordSchema()).isEqualTo("dev.substrate.events.GpuSample");
            assertThat(late.get(1).getRecordJson())
                    .contains("\"event_id\":\"very-late\"")
                    .contains("\"timestamp\":40000");
        }
    }

    @Test
    void piiFieldsOfLateRecordsAreTokenizedBeforeTheyAreKept() throws Exception {
        try (OneInputStreamOperatorTestHarness<Sourced<AuditEvent>, Sourced<AuditEvent>> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new LateEventSplitter<>(
                                AuditEvent.class,
                                "substrate.audit-events",
                                Duration.ZERO,
                                GovernanceFixtures.keyFile(dir)))) {
            harness.processWatermark(new Watermark(10_000));
            AuditEvent event = audit("x", "alice@example.com", "10.1.2.3", 1_000);
            harness.processElement(new StreamRecord<>(sourced(event), 1_000));

            LateEvent late = harness.getSideOutput(LateEventSplitter.LATE_EVENTS).peek().getValue();
            assertThat(late.getRecordJson())
                    .doesNotContain("alice@example.com")
                    .doesNotContain("10.1.2.3")
                    .contains("\"principal\":\"tok_");
            assertThat(event.getPrincipal())
                    .as("input left untouched")
                    .isEqualTo("alice@example.com");
        }
    }

    @Test
    void aReplayedDeadLetterIsNeverLate() throws Exception {
        try (OneInputStreamOperatorTestHarness<Sourced<GpuSample>, Sourced<GpuSample>> harness =
                gpuSplitter()) {
            harness.processWatermark(new Watermark(3_600_000));
            // Refused an hour ago, replayed now that its cause is fixed: it must land.
            harness.processElement(
                    new StreamRecord<>(
                            GovernanceFixtures.replayOf(
                                    gpu("fixed", 1_000, 50), "substrate.gpu-samples", 7),
                            1_000));
            harness.processElement(new StreamRecord<>(sourced(gpu("late", 1_000, 50)), 1_000));

            assertThat(harness.extractOutputValues())
                    .extracting(s -> s.record().getEventId())
                    .containsExactly("fixed");
            assertThat(harness.getSideOutput(LateEventSplitter.LATE_EVENTS))
                    .singleElement()
                    .satisfies(l -> assertThat(l.getValue().getEventId()).isEqualTo("late"));
        }
    }

    /** A splitter of GPU samples allowing 5 s of lateness. */
    private static OneInputStreamOperatorTestHarness<Sourced<GpuSample>, Sourced<GpuSample>>
            gpuSplitter() throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(
                new LateEventSplitter<>(
                        GpuSample.class, "substrate.gpu-samples", Duration.ofSeconds(5), null));
    }
}
