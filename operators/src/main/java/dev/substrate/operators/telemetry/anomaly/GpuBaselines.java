package dev.substrate.operators.telemetry.anomaly;

/**
 * Keyed state of {@link GpuAnomalyFunction} for one GPU: a baseline per watched metric and the
 * clock of its cleanup. A Flink POJO.
 */
public class GpuBaselines {

    public EwmaBaseline utilization = new EwmaBaseline();
    public EwmaBaseline power = new EwmaBaseline();
    public EwmaBaseline temperature = new EwmaBaseline();

    /** Newest event time seen from the GPU. */
    public long lastSampleAt = Long.MIN_VALUE;

    /** The pending cleanup timer, or {@link Long#MIN_VALUE}. */
    public long cleanupTimerAt = Long.MIN_VALUE;

    public GpuBaselines() {}
}
