package dev.substrate.operators.telemetry.capacity;

/** Per-cluster bookkeeping of {@link ClusterCapacityFunction}: its region and next report. */
public class ClusterReportState {

    public String region;

    /** The pending report timer (event time), or {@link Long#MIN_VALUE}. */
    public long nextReportAt = Long.MIN_VALUE;

    public ClusterReportState() {}
}
