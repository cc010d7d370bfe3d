package dev.substrate.operators.scheduling;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import java.util.Comparator;

/**
 * What the scheduler learns about the fleet, on its second input: a GPU reading, a node-health
 * change or a cluster-capacity report, reduced to the fields it uses. The live job and {@code
 * substrate replay} both build signals with these factories, so both feed the scheduler the same
 * values. A Flink POJO.
 */
public class FleetSignal {

    public SignalKind kind;

    /** Event time of the reading, the change or the report. */
    public long at;

    public String region;
    public String cluster;
    public String node;

    // READING
    public int gpuIndex;
    public String model;
    public long memoryTotalMib;
    public long memoryUsedMib;
    public double utilizationPct;
    public double powerDrawW;

    /** NaN when the GPU reports no power limit. */
    public double powerLimitW = Double.NaN;

    // HEALTH
    public NodeStatus status;

    /** The health change's first reason, or null. */
    public String detail;

    // CAPACITY
    public int healthyNodes;
    public int totalNodes;

    public FleetSignal() {}

    public static FleetSignal reading(
            long at,
            String region,
            String cluster,
            String node,
            int gpuIndex,
            String model,
            long memoryTotalMib,
            long memoryUsedMib,
            double utilizationPct,
            double powerDrawW,
            double powerLimitW) {
        FleetSignal s = located(SignalKind.READING, at, region, cluster, node);
        s.gpuIndex = gpuIndex;
        s.model = model;
        s.memoryTotalMib = memoryTotalMib;
        s.memoryUsedMib = memoryUsedMib;
        s.utilizationPct = utilizationPct;
        s.powerDrawW = powerDrawW;
        s.powerLimitW = powerLimitW;
        return s;
    }

    public static FleetSignal of(GpuSample sample) {
        Double limit = sample.getPowerLimitW();
        return reading(
                sample.getTimestamp().toEpochMilli(),
                sample.getRegion(),
                sample.getCluster(),
                sample.getNode(),
                sample.getGpuIndex(),
                sample.getModel(),
                sample.getMemoryTotalMib(),
                sample.getMemoryUsedMib(),
                sample.getUtilizationPct(),
                sample.getPowerDrawW(),
                limit == null ? Double.NaN : limit);
    }

    public static FleetSignal health(
            long at, String region, String cluster, String node, NodeStatus status, String detail) {
        FleetSignal s = located(SignalKind.HEALTH, at, region, cluster, node);
        s.status = status;
        s.detail = detail;
        return s;
    }

    public static FleetSignal of(NodeHealth change) {
        return health(
                change.getChangedAt().toEpochMilli(),
                change.getRegion(),
                change.getCluster(),
                change.getNode(),
                change.getStatus(),
                change.getReasons().isEmpty() ? null : change.getReasons().get(0));
    }

    public static FleetSignal capacity(
            long at, String region, String cluster, int healthyNodes, int totalNodes) {
        FleetSignal s = located(SignalKind.CAPACITY, at, region, cluster, null);
        s.healthyNodes = healthyNodes;
        s.totalNodes = totalNodes;
        return s;
    }

    public static FleetSignal of(ClusterCapacity report) {
        return capacity(
                report.getTimestamp().toEpochMilli(),
                report.getRegion(),
                report.getCluster(),
                report.getHealthyNodes(),
                report.getTotalNodes());
    }

    /** Event time reaching {@code at}, and nothing else. */
    public static FleetSignal tick(long at) {
        FleetSignal s = new FleetSignal();
        s.kind = SignalKind.TICK;
        s.at = at;
        return s;
    }

    private static FleetSignal located(
            SignalKind kind, long at, String region, String cluster, String node) {
        FleetSignal s = new FleetSignal();
        s.kind = kind;
        s.at = at;
        s.region = region;
        s.cluster = cluster;
        s.node = node;
        return s;
    }

    /** Orders signals of one instant: by kind, then where, then GPU. */
    static final Comparator<FleetSignal> ORDER =
            Comparator.<FleetSignal>comparingInt(s -> s.kind.ordinal())
                    .thenComparing(s -> s.cluster, Comparator.nullsFirst(Comparator.naturalOrder()))
                    .thenComparing(s -> s.node, Comparator.nullsFirst(Comparator.naturalOrder()))
                    .thenComparingInt(s -> s.gpuIndex)
                    .thenComparing(s -> s.status, Comparator.nullsFirst(Comparator.naturalOrder()));
}
