package dev.substrate.operators.telemetry.windows;

import org.apache.flink.api.common.functions.AggregateFunction;

/** Rolls the GPU windows of one node (same window bounds) up into a node aggregate. */
public class NodeRollupAggregator
        implements AggregateFunction<GpuWindowAccumulator, RollupAccumulator, RollupAccumulator> {

    private static final long serialVersionUID = 1L;

    private final boolean quantiles;

    public NodeRollupAggregator(boolean quantiles) {
        this.quantiles = quantiles;
    }

    @Override
    public RollupAccumulator createAccumulator() {
        return RollupAccumulator.create(quantiles);
    }

    @Override
    public RollupAccumulator add(GpuWindowAccumulator gpu, RollupAccumulator acc) {
        acc.addGpu(gpu);
        return acc;
    }

    @Override
    public RollupAccumulator getResult(RollupAccumulator acc) {
        return acc;
    }

    @Override
    public RollupAccumulator merge(RollupAccumulator a, RollupAccumulator b) {
        a.merge(b);
        return a;
    }
}
