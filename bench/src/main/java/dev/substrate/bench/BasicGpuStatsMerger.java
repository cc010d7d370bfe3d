package dev.substrate.bench;

import org.apache.flink.api.common.functions.AggregateFunction;

/** The global half of the two-phase aggregation: merges the partials of one GPU and window. */
public class BasicGpuStatsMerger
        implements AggregateFunction<BasicGpuStats, BasicGpuStats, BasicGpuStats> {

    private static final long serialVersionUID = 1L;

    private final BasicGpuStatsAggregator aggregator = new BasicGpuStatsAggregator();

    @Override
    public BasicGpuStats createAccumulator() {
        return new BasicGpuStats();
    }

    @Override
    public BasicGpuStats add(BasicGpuStats partial, BasicGpuStats acc) {
        return aggregator.merge(acc, partial);
    }

    @Override
    public BasicGpuStats getResult(BasicGpuStats acc) {
        return acc;
    }

    @Override
    public BasicGpuStats merge(BasicGpuStats a, BasicGpuStats b) {
        return aggregator.merge(a, b);
    }
}
