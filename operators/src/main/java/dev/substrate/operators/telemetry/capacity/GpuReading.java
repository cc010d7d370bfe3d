package dev.substrate.operators.telemetry.capacity;

/**
 * The newest reading of one GPU, reduced to what capacity needs; keyed map state of {@link
 * ClusterCapacityFunction}. A Flink POJO.
 */
public class GpuReading {

    public String node;
    public String model;
    public long at;
    public boolean idle;
    public long freeMemoryMib;

    /** power_limit_w - power_draw_w, or NaN when the GPU reports no limit. */
    public double powerHeadroomW;

    public GpuReading() {}
}
