package dev.substrate.operators.telemetry.windows;

import org.apache.flink.api.common.functions.AggregateFunction;

/** Rolls node aggregates of one cluster (same window bounds) up into a cluster aggregate. */
public class ClusterRollupAggregator
        implements AggregateFunction<RollupAccumulator, RollupAccumulator, RollupAccumulator> {

    private static final long serialVersionUID = 1L;

    private final boolean quantiles;

    public ClusterRollupAggregator(boolean quantiles) {
        this.quantiles = quantiles;
    }

    @Override
    public RollupAccumulator createAccumulator() {
        return RollupAccumulator.create(quantiles);
    }

    @Override
    public RollupAccumulator add(RollupAccumulator node, RollupAccumulator acc) {
        acc.merge(node);
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
