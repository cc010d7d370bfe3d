package dev.substrate.operators.telemetry.windows;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.IntStream;
import javax.annotation.Nullable;

/**
 * The aggregate of several GPUs' windows with the same bounds: a node or a cluster. A Flink POJO.
 *
 * <p>Statistics and quantiles are over all readings of all GPUs; energy and ECC deltas are sums
 * over GPUs; a clock-event fraction is the mean of the GPUs' fractions (the share of GPU-time).
 */
public class RollupAccumulator {

    public long windowStart;
    public long windowEnd;

    /** Stamped when the rollup window fires: true when it closed by quiet time. */
    public boolean closedByQuietTime;

    @Nullable public String region;
    @Nullable public String cluster;

    /** The node, or null when the rollup spans nodes. */
    @Nullable public String node;

    /** The model, or null when the GPUs differ (see {@link #mixedModels}). */
    @Nullable public String model;

    public boolean mixedModels;
    public boolean mixedNodes;

    public int gpuCount;
    public long sampleCount;
    public MetricStats utilization;
    public MetricStats power;
    public MetricStats temperature;
    public MetricStats memoryUsed;

    public double energyJoules;
    public int gpusWithEnergy;
    public double[] fractionSums = new double[ClockEventReason.COUNT];
    public long eccCorrectedDelta;
    public long eccUncorrectedDelta;
    public int[] xids = new int[0];

    public RollupAccumulator() {}

    public static RollupAccumulator create(boolean quantiles) {
        RollupAccumulator acc = new RollupAccumulator();
        acc.utilization = MetricStats.create(quantiles);
        acc.power = MetricStats.create(quantiles);
        acc.temperature = MetricStats.create(quantiles);
        acc.memoryUsed = MetricStats.create(quantiles);
        return acc;
    }

    /** Adds one GPU's window; {@code gpu} is left unchanged. */
    public void addGpu(GpuWindowAccumulator gpu) {
        if (gpu.sampleCount == 0) {
            return;
        }
        identify(gpu.windowStart, gpu.windowEnd, gpu.region, gpu.cluster, gpu.node, gpu.model);
        gpuCount++;
        sampleCount += gpu.sampleCount;
        utilization.merge(gpu.utilization);
        power.merge(gpu.power);
        temperature.merge(gpu.temperature);
        memoryUsed.merge(gpu.memoryUsed);
        Double energy = gpu.energyJoules();
        if (energy != null) {
            energyJoules += energy;
            gpusWithEnergy++;
        }
        for (ClockEventReason reason : ClockEventReason.all()) {
            fractionSums[reason.ordinal()] += gpu.fraction(reason);
        }
        eccCorrectedDelta += gpu.eccCorrectedDelta();
        eccUncorrectedDelta += gpu.eccUncorrectedDelta();
        xids = union(xids, gpu.xids);
    }

    /**
     * Adds another rollup of the same window (nodes into a cluster); {@code other} is unchanged.
     */
    public void merge(RollupAccumulator other) {
        if (other.gpuCount == 0) {
            return;
        }
        identify(
                other.windowStart,
                other.windowEnd,
                other.region,
                other.cluster,
                other.mixedNodes ? null : other.node,
                other.mixedModels ? null : other.model);
        mixedNodes |= other.mixedNodes;
        mixedModels |= other.mixedModels;
        if (mixedNodes) {
            node = null;
        }
        if (mixedModels) {
            model = null;
        }
        gpuCount += other.gpuCount;
        sampleCount += other.sampleCount;
        utilization.merge(other.utilization);
        power.merge(other.power);
        temperature.merge(other.temperature);
        memoryUsed.merge(other.memoryUsed);
        energyJoules += other.energyJoules;
        gpusWithEnergy += other.gpusWithEnergy;
        for (int i = 0; i < ClockEventReason.COUNT; i++) {
            fractionSums[i] += other.fractionSums[i];
        }
        eccCorrectedDelta += other.eccCorrectedDelta;
        eccUncorrectedDelta += other.eccUncorrectedDelta;
        xids = union(xids, other.xids);
    }

    private void identify(
            long start,
            long end,
            @Nullable String region,
            @Nullable String cluster,
            @Nullable String node,
            @Nullable String model) {
        if (gpuCount == 0) {
            windowStart = start;
            windowEnd = end;
            this.region = region;
            this.cluster = cluster;
            this.node = node;
            this.model = model;
            mixedNodes = node == null;
            mixedModels = model == null;
            return;
        }
        if (!mixedNodes && !Objects.equals(this.node, node)) {
            mixedNodes = true;
            this.node = null;
        }
        if (!mixedModels && !Objects.equals(this.model, model)) {
            mixedModels = true;
            this.model = null;
        }
    }

    /** The share of GPU-time (0 to 1) in which {@code reason} was active. */
    public double fraction(ClockEventReason reason) {
        return gpuCount == 0 ? 0.0 : fractionSums[reason.ordinal()] / gpuCount;
    }

    @Nullable
    public Double energy() {
        return gpusWithEnergy == 0 ? null : energyJoules;
    }

    private static int[] union(int[] a, int[] b) {
        if (b.length == 0) {
            return a;
        }
        if (a.length == 0) {
            return b.clone();
        }
        return IntStream.concat(Arrays.stream(a), Arrays.stream(b)).distinct().sorted().toArray();
    }
}
