package dev.substrate.operators.windows;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** {@link EventTimeSorter}, driven record by record: inputs are "key:label", keyed by the key. */
class EventTimeSorterTest {

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness(
            Duration stallFlush, @Nullable OperatorSubtaskState state) throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new EventTimeSorter<>(Types.STRING).withStallFlush(stallFlush),
                        value -> value.substring(0, value.indexOf(':')),
                        Types.STRING);
        ((SerializerConfigImpl) harness.getExecutionConfig().getSerializerConfig())
                .setGenericTypes(false);
        harness.setProcessingTime(0);
        if (state != null) {
            harness.initializeState(state);
        }
        harness.open();
        return harness;
    }

    /** What left, in order: "value@timestamp" for records, "W@timestamp" for watermarks. */
    private static List<String> emitted(KeyedOneInputStreamOperatorTestHarness<?, ?, ?> h) {
        List<String> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add(r.getValue() + "@" + r.getTimestamp());
            } else if (o instanceof Watermark w) {
                out.add("W@" + w.getTimestamp());
            }
        }
        return out;
    }

    @Test
    void holdsInputsUntilTheWatermarkPassesThenEmitsEachKeysInTimestampOrder() throws Exception {
        try (var h = harness(Duration.ZERO, null)) {
            h.processElement("a:3", 3);
            h.processElement("b:2", 2);
            h.processElement("a:1", 1);
            h.processElement("a:5", 5);
            h.processElement("a:1bis", 1); // the same timestamp: arrival order
            h.processElement("a:2", 2);
            assertThat(emitted(h)).isEmpty();

            h.processWatermark(3);
            List<String> out = emitted(h);
            assertThat(out).hasSize(6).endsWith("W@3");
            // In order per key; keys are independent.
            assertThat(out.stream().filter(e -> e.startsWith("a:")))
                    .containsExactly("a:1@1", "a:1bis@1", "a:2@2", "a:3@3");
            assertThat(out.stream().filter(e -> e.startsWith("b:"))).containsExactly("b:2@2");

            h.processWatermark(10);
            assertThat(emitted(h)).endsWith("a:5@5", "W@10");
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void anInputTheWatermarkHasPassedLeavesAtOnceUnchanged() throws Exception {
        try (var h = harness(Duration.ZERO, null)) {
            h.processElement("a:8", 8);
            h.processWatermark(5);
            h.processElement("a:4", 4);
            assertThat(emitted(h)).containsExactly("W@5", "a:4@4");
            h.processWatermark(8);
            assertThat(emitted(h)).endsWith("a:8@8", "W@8");
        }
    }

    @Test
    void heldInputsAreInTheSnapshotAndLeaveInOrderAfterARestore() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness(Duration.ZERO, null)) {
            h.processElement("a:7", 7);
            h.processElement("a:6", 6);
            h.processWatermark(2);
            state = h.snapshot(1, 100);
        }
        try (var restored = harness(Duration.ZERO, state)) {
            assertThat(emitted(restored)).isEmpty();
            restored.processWatermark(7);
            assertThat(emitted(restored)).containsExactly("a:6@6", "a:7@7", "W@7");
        }
    }

    @Test
    void aStallOfWatermarkAndInputReleasesEverythingHeldEachKeyInOrder() throws Exception {
        try (var h = harness(Duration.ofSeconds(10), null)) {
            h.processElement("a:30", 30);
            h.processElement("b:25", 25);
            h.processElement("a:20", 20);
            h.setProcessingTime(10_000); // inputs arrived since the check was set
            assertThat(emitted(h)).isEmpty();

            h.processWatermark(10);
            h.setProcessingTime(20_000); // the watermark moved since
            assertThat(emitted(h)).containsExactly("W@10");

            h.setProcessingTime(30_000); // neither moved for a whole period
            List<String> released = emitted(h).subList(1, 4);
            assertThat(released).containsExactlyInAnyOrder("a:20@20", "a:30@30", "b:25@25");
            assertThat(released.indexOf("a:20@20")).isLessThan(released.indexOf("a:30@30"));
            assertThat(h.numKeyedStateEntries()).isZero();
            // Nothing held: no more checks until the next input.
            assertThat(h.getProcessingTimeService().getActiveTimerTimestamps()).isEmpty();

            // The watermark reaching the released timestamps emits nothing twice.
            h.processWatermark(40);
            assertThat(emitted(h)).hasSize(5).endsWith("W@40");
        }
    }

    @Test
    void withoutStallFlushOnlyTheWatermarkReleases() throws Exception {
        try (var h = harness(Duration.ZERO, null)) {
            h.processElement("a:30", 30);
            h.setProcessingTime(3_600_000);
            assertThat(emitted(h)).isEmpty();
            assertThat(h.getProcessingTimeService().getActiveTimerTimestamps()).isEmpty();
        }
    }
}
