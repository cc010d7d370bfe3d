package dev.substrate.operators.telemetry.windows;

import static dev.substrate.operators.telemetry.windows.Readings.T0;
import static dev.substrate.operators.telemetry.windows.Readings.reading;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.GpuMetrics;
import dev.substrate.events.GpuSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GpuWindowAccumulatorTest {

    private static final long MAX_GAP = 60_000;

    private static GpuWindowAccumulator aggregate(List<GpuSample> readings) {
        GpuWindowAccumulator acc = GpuWindowAccumulator.create(true);
        readings.forEach(r -> acc.add(r, MAX_GAP));
        return acc;
    }

    @Test
    void constantPowerForAMinuteIsPowerTimesSixtySeconds() {
        List<GpuSample> readings = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            readings.add(reading("g1", "n1", T0 + i * 1000L, 50, 1000.0));
        }
        GpuWindowAccumulator acc = aggregate(readings);
        // 59 one-second trapezoids of 1000 W, scaled by 60/59: each reading stands for 1 s.
        assertThat(acc.energyJoules()).isCloseTo(60_000.0, within(1e-6));
        assertThat(acc.sampleCount).isEqualTo(60);
        assertThat(acc.power.mean()).isEqualTo(1000.0);
    }

    @Test
    void energyIsTheTrapezoidOfARamp() {
        // 100 W rising to 200 W over 10 s in 1 s steps: the integral is 1500 J over 10 intervals.
        List<GpuSample> readings = new ArrayList<>();
        for (int i = 0; i <= 10; i++) {
            readings.add(reading("g1", "n1", T0 + i * 1000L, 50, 100.0 + 10 * i));
        }
        GpuWindowAccumulator acc = aggregate(readings);
        assertThat(acc.powerIntegralWms / 1000).isCloseTo(1500.0, within(1e-9));
        assertThat(acc.energyJoules()).isCloseTo(1500.0 * 11 / 10, within(1e-9));
    }

    @Test
    void statisticsSkipMissingValuesAndQuantilesAreWithinOnePercent() {
        Random random = new Random(7);
        List<GpuSample> readings = new ArrayList<>();
        List<Double> watts = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            double w = 100 + random.nextDouble() * 600;
            watts.add(w);
            readings.add(reading("g1", "n1", T0 + i * 25L, i % 101, w));
        }
        readings.add(reading("g1", "n1", T0 + 50_000, Double.NaN, Double.NaN));
        GpuWindowAccumulator acc = aggregate(readings);

        assertThat(acc.sampleCount).isEqualTo(2001);
        assertThat(acc.power.count).isEqualTo(2000);
        assertThat(acc.utilization.count).isEqualTo(2000);
        double mean = watts.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertThat(acc.power.mean()).isCloseTo(mean, within(1e-9));
        List<Double> sorted = watts.stream().sorted().toList();
        for (double q : new double[] {0.5, 0.95, 0.99}) {
            double exact = sorted.get((int) Math.ceil(q * sorted.size()) - 1);
            assertThat(acc.power.quantile(q)).isCloseTo(exact, within(exact * 0.011));
        }
        assertThat(acc.power.minimum()).isEqualTo(sorted.get(0));
        assertThat(acc.power.maximum()).isEqualTo(sorted.get(sorted.size() - 1));
    }

    @Test
    void throttleFractionsAreTimeSharesByTheMidpointRule() {
        // Readings at 0, 1, 2, 4 s; power cap (0x4) active at 1 s and 2 s only.
        long[] offsets = {0, 1000, 2000, 4000};
        long[] reasons = {0x0, 0x4, 0x4 | 0x20, 0x1};
        List<GpuSample> readings = new ArrayList<>();
        for (int i = 0; i < offsets.length; i++) {
            readings.add(
                    reading(
                            "g1",
                            "n1",
                            "c1",
                            T0 + offsets[i],
                            50,
                            300,
                            60,
                            10,
                            reasons[i],
                            0,
                            0,
                            0));
        }
        GpuWindowAccumulator acc = aggregate(readings);
        // Intervals: [0,1] half capped, [1,2] fully, [2,4] half: 0.5 + 1 + 1 = 2.5 s of 4 s.
        assertThat(acc.fraction(ClockEventReason.SW_POWER_CAP)).isCloseTo(2.5 / 4, within(1e-12));
        // SW thermal at 2 s only: half of [1,2] and half of [2,4] = 1.5 s.
        assertThat(acc.fraction(ClockEventReason.SW_THERMAL_SLOWDOWN))
                .isCloseTo(1.5 / 4, within(1e-12));
        assertThat(acc.fraction(ClockEventReason.GPU_IDLE)).isCloseTo(1.0 / 4, within(1e-12));
        assertThat(acc.fraction(ClockEventReason.HW_THERMAL_SLOWDOWN)).isZero();
    }

    @Test
    void eccDeltasAndXidCodes() {
        List<GpuSample> readings =
                List.of(
                        reading("g1", "n1", "c1", T0, 50, 300, 60, 10, 0, 5, 1, 0),
                        reading("g1", "n1", "c1", T0 + 1000, 50, 300, 60, 10, 0, 7, 1, 79),
                        reading("g1", "n1", "c1", T0 + 2000, 50, 300, 60, 10, 0, 9, 2, 13),
                        reading("g1", "n1", "c1", T0 + 3000, 50, 300, 60, 10, 0, 9, 2, 79));
        GpuWindowAccumulator acc = aggregate(readings);
        assertThat(acc.eccCorrectedDelta()).isEqualTo(4);
        assertThat(acc.eccUncorrectedDelta()).isEqualTo(1);
        assertThat(acc.xids).containsExactly(13, 79);
    }

    @Test
    void gapsLongerThanTheMaximumAreNotIntegrated() {
        GpuWindowAccumulator acc = GpuWindowAccumulator.create(false);
        acc.add(reading("g1", "n1", T0, 50, 100), 5_000);
        acc.add(reading("g1", "n1", T0 + 1000, 50, 100), 5_000);
        acc.add(reading("g1", "n1", T0 + 30_000, 50, 100), 5_000);
        assertThat(acc.powerIntervals).isEqualTo(1);
        assertThat(acc.coveredMs).isEqualTo(1000);
    }

    @Test
    void mergingConsecutivePartsEqualsAggregatingInOrder() {
        List<GpuSample> readings = new ArrayList<>();
        Random random = new Random(3);
        for (int i = 0; i < 120; i++) {
            readings.add(
                    reading(
                            "g1",
                            "n1",
                            "c1",
                            T0 + i * 500L,
                            random.nextInt(101),
                            100 + random.nextInt(600),
                            40 + random.nextInt(40),
                            random.nextInt(80_000),
                            random.nextBoolean() ? 0x4 : 0x0,
                            i / 10,
                            0,
                            0));
        }
        GpuWindowAccumulator whole = aggregate(readings);
        GpuWindowAccumulator later = aggregate(readings.subList(70, 120));
        GpuWindowAccumulator merged = aggregate(readings.subList(0, 70));
        merged.merge(later, MAX_GAP);

        GpuMetrics a = GpuMetricsConverter.fromGpu(whole);
        GpuMetrics b = GpuMetricsConverter.fromGpu(merged);
        assertThat(b.getEnergyJoules()).isCloseTo(a.getEnergyJoules(), within(1e-6));
        assertThat(b.getSwPowerCapFraction()).isCloseTo(a.getSwPowerCapFraction(), within(1e-12));
        assertThat(b.getPowerDrawWP95()).isEqualTo(a.getPowerDrawWP95());
        assertThat(b.getEccCorrectedDelta()).isEqualTo(a.getEccCorrectedDelta());
        assertThat(b.getSampleCount()).isEqualTo(120);

        // Merged the other way round, the bridge is the same.
        GpuWindowAccumulator reversed = aggregate(readings.subList(70, 120));
        reversed.merge(aggregate(readings.subList(0, 70)), MAX_GAP);
        assertThat(reversed.energyJoules()).isCloseTo(whole.energyJoules(), within(1e-6));
    }

    @Test
    void aReadingBeforeTheFirstExtendsTheIntegralsOutOfOrder() {
        GpuWindowAccumulator inOrder = GpuWindowAccumulator.create(false);
        GpuWindowAccumulator outOfOrder = GpuWindowAccumulator.create(false);
        GpuSample r0 = reading("g1", "n1", T0, 50, 100);
        GpuSample r1 = reading("g1", "n1", T0 + 1000, 50, 200);
        GpuSample r2 = reading("g1", "n1", T0 + 2000, 50, 300);
        for (GpuSample r : List.of(r0, r1, r2)) {
            inOrder.add(r, MAX_GAP);
        }
        for (GpuSample r : List.of(r1, r2, r0)) {
            outOfOrder.add(r, MAX_GAP);
        }
        assertThat(outOfOrder.energyJoules()).isEqualTo(inOrder.energyJoules());
        // A reading inside the span seen so far counts in the statistics only.
        GpuWindowAccumulator inside = GpuWindowAccumulator.create(false);
        for (GpuSample r : List.of(r0, r2, r1)) {
            inside.add(r, MAX_GAP);
        }
        assertThat(inside.power.mean()).isEqualTo(200.0);
        assertThat(inside.powerIntegralWms / 1000).isCloseTo(400.0, within(1e-9));
    }
}
