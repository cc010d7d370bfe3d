package dev.substrate.bench;

import dev.substrate.operators.telemetry.windows.MetricStats;
import dev.substrate.operators.windows.WindowPartial;

/**
 * One GPU's 1-minute window restricted to what SQL expresses: count, and sum/min/max (mean = sum /
 * count) of utilization, power, temperature and memory used. A Flink POJO of the production {@link
 * MetricStats} without sketches.
 */
public class BasicGpuStats implements WindowPartial {

    public String gpuUuid;
    public long windowStart;
    public long windowEnd;
    public long count;
    public MetricStats utilization = MetricStats.create(false);
    public MetricStats power = MetricStats.create(false);
    public MetricStats temperature = MetricStats.create(false);
    public MetricStats memoryUsed = MetricStats.create(false);

    public BasicGpuStats() {}

    @Override
    public void stamp(String key, long start, long end) {
        gpuUuid = key;
        windowStart = start;
        windowEnd = end;
    }
}
