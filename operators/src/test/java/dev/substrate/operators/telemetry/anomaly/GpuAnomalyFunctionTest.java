package dev.substrate.operators.telemetry.anomaly;

import static dev.substrate.operators.telemetry.health.TestSamples.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.AnomalyMetric;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.telemetry.health.TestSamples;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class GpuAnomalyFunctionTest {

    private static final long SECOND = 1000;

    /** alpha 0.02, 10 warm-up readings, |z| > 3 for 3 readings, floors 2 %, 5 W, 1 °C. */
    private static final AnomalyConfig CONFIG =
            new AnomalyConfig(0.02, 10, 3.0, 3, 2.0, 5.0, 1.0, Duration.ofMinutes(10));

    private long clock;

    @Test
    void warmUpReadingsOnlyTrainTheBaseline() throws Exception {
        try (var harness = harness()) {
            for (int i = 0; i < 10; i++) {
                feed(harness, i % 2 == 0 ? 100 : 700, 60, 50);
            }
            assertThat(harness.extractOutputValues()).isEmpty();
        }
    }

    @Test
    void anExcursionNeedsConsecutiveOutOfBandReadingsAndYieldsOneEvent() throws Exception {
        try (var harness = harness()) {
            double[] power = new double[40];
            for (int i = 0; i < 20; i++) {
                power[i] = i % 2 == 0 ? 298 : 302;
            }
            // Two spikes and back: not an anomaly.
            power[20] = 500;
            power[21] = 500;
            for (int i = 22; i < 30; i++) {
                power[i] = i % 2 == 0 ? 298 : 302;
            }
            // Ten readings at 500 W: one excursion, one event at its third reading.
            for (int i = 30; i < 40; i++) {
                power[i] = 500;
            }
            long excursionStart = 0;
            for (int i = 0; i < power.length; i++) {
                if (i == 30) {
                    excursionStart = clock;
                }
                feed(harness, power[i], 60, 50);
            }

            List<GpuAnomaly> out = harness.extractOutputValues();
            assertThat(out).hasSize(1);
            GpuAnomaly anomaly = out.get(0);
            assertThat(anomaly.getMetric()).isEqualTo(AnomalyMetric.POWER);
            assertThat(anomaly.getGpuUuid()).isEqualTo("GPU-n1-0");
            assertThat(anomaly.getNode()).isEqualTo("n1");
            assertThat(anomaly.getCluster()).isEqualTo("c1");
            assertThat(anomaly.getValue()).isEqualTo(500);
            assertThat(anomaly.getConsecutive()).isEqualTo(3);
            assertThat(anomaly.getStartedAt()).isEqualTo(Instant.ofEpochMilli(excursionStart));
            assertThat(anomaly.getTimestamp())
                    .isEqualTo(Instant.ofEpochMilli(excursionStart + 2 * SECOND));

            // The baseline the event reports is the EWMA of the 32 readings before it.
            double mean = power[0];
            double variance = 0;
            for (int i = 1; i < 32; i++) {
                double d = power[i] - mean;
                mean += 0.02 * d;
                variance = 0.98 * (variance + 0.02 * d * d);
            }
            double stddev = Math.max(Math.sqrt(variance), 5.0);
            assertThat(anomaly.getBaselineMean()).isCloseTo(mean, within(1e-9));
            assertThat(anomaly.getBaselineStddev()).isCloseTo(stddev, within(1e-9));
            assertThat(anomaly.getZScore()).isCloseTo((500 - mean) / stddev, within(1e-9));
            assertThat(anomaly.getZScore()).isGreaterThan(3);
        }
    }

    @Test
    void aNewExcursionAfterReturningToTheBandRaisesANewEvent() throws Exception {
        try (var harness = harness()) {
            for (int i = 0; i < 20; i++) {
                feed(harness, 300, 60 + (i % 2), 50);
            }
            for (int i = 0; i < 3; i++) {
                feed(harness, 300, 75, 50);
            }
            for (int i = 0; i < 3; i++) {
                feed(harness, 300, 60, 50);
            }
            for (int i = 0; i < 3; i++) {
                feed(harness, 300, 45, 50);
            }
            List<GpuAnomaly> out = harness.extractOutputValues();
            assertThat(out)
                    .extracting(GpuAnomaly::getMetric)
                    .containsExactly(AnomalyMetric.TEMPERATURE, AnomalyMetric.TEMPERATURE);
            assertThat(out.get(0).getZScore()).isGreaterThan(3);
            assertThat(out.get(1).getZScore()).isLessThan(-3);
        }
    }

    @Test
    void theStddevFloorKeepsAFlatMetricFromAlarmingOnNoise() throws Exception {
        try (var harness = harness()) {
            for (int i = 0; i < 20; i++) {
                feed(harness, 60, 40, 0);
            }
            for (int i = 0; i < 5; i++) {
                feed(harness, 60, 40, 3);
            }
            assertThat(harness.extractOutputValues()).isEmpty();

            for (int i = 0; i < 3; i++) {
                feed(harness, 60, 40, 100);
            }
            assertThat(harness.extractOutputValues())
                    .extracting(GpuAnomaly::getMetric)
                    .containsExactly(AnomalyMetric.UTILIZATION);
        }
    }

    @Test
    void baselinesOfAGpuThatWentAwayAreDroppedAfterTheRetention() throws Exception {
        try (var harness = harness()) {
            feed(harness, 300, 60, 50);
            harness.processElement(sample("n2", 0, 5 * SECOND).build(), 5 * SECOND);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(2);

            harness.processWatermark(10 * 60 * SECOND - 1);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
            harness.processWatermark(10 * 60 * SECOND + 5 * SECOND);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void stateIsFlinkPojosNotKryo() {
        assertThat(TypeInformation.of(GpuBaselines.class)).isInstanceOf(PojoTypeInfo.class);
        assertThat(TypeInformation.of(EwmaBaseline.class)).isInstanceOf(PojoTypeInfo.class);
    }

    private void feed(
            KeyedOneInputStreamOperatorTestHarness<String, GpuSample, GpuAnomaly> harness,
            double powerW,
            double temperatureC,
            double utilizationPct)
            throws Exception {
        GpuSample sample =
                sample("n1", 0, clock)
                        .setPowerDrawW(powerW)
                        .setTemperatureC(temperatureC)
                        .setUtilizationPct(utilizationPct)
                        .build();
        harness.processElement(sample, clock);
        clock += SECOND;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, GpuSample, GpuAnomaly> harness()
            throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new GpuAnomalyFunction(CONFIG)),
                        GpuAnomalyFunction::gpuKey,
                        Types.STRING);
        TestSamples.disableGenericTypes(harness);
        harness.open();
        return harness;
    }
}
