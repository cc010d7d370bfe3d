package dev.substrate.operators.telemetry.windows;

import dev.substrate.events.GpuSample;
import org.apache.flink.api.common.functions.AggregateFunction;

/**
 * Incremental per-GPU window aggregation: each reading updates the window's {@link
 * GpuWindowAccumulator} as it arrives; nothing is buffered.
 */
public class GpuWindowAggregator
        implements AggregateFunction<GpuSample, GpuWindowAccumulator, GpuWindowAccumulator> {

    private static final long serialVersionUID = 1L;

    private final boolean quantiles;
    private final long maxGapMs;

    /**
     * @param quantiles whether to keep p50/p95/p99 sketches
     * @param maxGapMs intervals between readings longer than this are gaps, not integrated
     */
    public GpuWindowAggregator(boolean quantiles, long maxGapMs) {
        this.quantiles = quantiles;
        this.maxGapMs = maxGapMs;
    }

    @Override
    public GpuWindowAccumulator createAccumulator() {
        return GpuWindowAccumulator.create(quantiles);
    }

    @Override
    public GpuWindowAccumulator add(GpuSample sample, GpuWindowAccumulator acc) {
        acc.add(sample, maxGapMs);
        return acc;
    }

    @Override
    public GpuWindowAccumulator getResult(GpuWindowAccumulator acc) {
        return acc;
    }

    @Override
    public GpuWindowAccumulator merge(GpuWindowAccumulator a, GpuWindowAccumulator b) {
        a.merge(b, maxGapMs);
        return a;
    }
}
