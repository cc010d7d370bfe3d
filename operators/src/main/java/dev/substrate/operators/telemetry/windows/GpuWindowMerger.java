package dev.substrate.operators.telemetry.windows;

import org.apache.flink.api.common.functions.AggregateFunction;

/**
 * Builds a longer per-GPU window from the 1-minute windows inside it (the 5-minute sliding window
 * is five 1-minute panes), merging accumulators instead of re-adding every reading five times.
 */
public class GpuWindowMerger
        implements AggregateFunction<
                GpuWindowAccumulator, GpuWindowAccumulator, GpuWindowAccumulator> {

    private static final long serialVersionUID = 1L;

    private final boolean quantiles;
    private final long maxGapMs;

    public GpuWindowMerger(boolean quantiles, long maxGapMs) {
        this.quantiles = quantiles;
        this.maxGapMs = maxGapMs;
    }

    @Override
    public GpuWindowAccumulator createAccumulator() {
        return GpuWindowAccumulator.create(quantiles);
    }

    @Override
    public GpuWindowAccumulator add(GpuWindowAccumulator pane, GpuWindowAccumulator acc) {
        acc.merge(pane, maxGapMs);
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
