package dev.substrate.operators.telemetry.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.operators.testing.CapturedMetrics;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class LateReadingsCounterTest {

    @Test
    void countsEveryLateReadingAndEmitsNothing() throws Exception {
        CapturedMetrics metrics = new CapturedMetrics("telemetry", "late readings");
        try (OneInputStreamOperatorTestHarness<GpuSample, Void> harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new LateReadingsCounter()), metrics.environment())) {
            harness.open();
            for (int i = 0; i < 3; i++) {
                harness.processElement(
                        Readings.reading("GPU-a", "node-1", 1_000L * i, 50, 300), 1_000L * i);
            }
            assertThat(harness.extractOutputValues()).isEmpty();
        }
        assertThat(metrics.count(LateReadingsCounter.METRIC)).isEqualTo(3);
    }
}
