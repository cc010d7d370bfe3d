package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import org.apache.flink.api.common.functions.AggregateFunction;

/** The SQL-comparable subset of the per-GPU window aggregation, incremental. */
public class BasicGpuStatsAggregator
        implements AggregateFunction<GpuSample, BasicGpuStats, BasicGpuStats> {

    private static final long serialVersionUID = 1L;

    @Override
    public BasicGpuStats createAccumulator() {
        return new BasicGpuStats();
    }

    @Override
    public BasicGpuStats add(GpuSample sample, BasicGpuStats acc) {
        acc.count++;
        acc.utilization.add(sample.getUtilizationPct());
        acc.power.add(sample.getPowerDrawW());
        acc.temperature.add(sample.getTemperatureC());
        acc.memoryUsed.add((double) sample.getMemoryUsedMib());
        return acc;
    }

    @Override
    public BasicGpuStats getResult(BasicGpuStats acc) {
        return acc;
    }

    @Override
    public BasicGpuStats merge(BasicGpuStats a, BasicGpuStats b) {
        a.count += b.count;
        a.utilization.merge(b.utilization);
        a.power.merge(b.power);
        a.temperature.merge(b.temperature);
        a.memoryUsed.merge(b.memoryUsed);
        return a;
    }
}
