package dev.substrate.operators.scheduling.state;

import dev.substrate.events.NodeStatus;
import java.util.Arrays;

/**
 * What the scheduler knows of one node: where it is, its health, and per GPU index its latest
 * reading and which request holds it. Keyed map state of the scheduler (key {@code cluster/node}).
 * A Flink POJO of primitive arrays: placement scans a thousand of these per request.
 */
public class NodeBook {

    public String region;
    public String cluster;
    public String node;

    /** The accelerator type its GPUs report ({@code GpuSample.model}); null before a reading. */
    public String acceleratorType;

    /** The latest health status; null until node health names the node. */
    public NodeStatus status;

    public long healthChangedAt = Long.MIN_VALUE;

    /** Why the node has its status, from node health (its first reason), or null. */
    public String healthReason;

    /** Event time of its newest reading or health change. */
    public long lastHeardAt = Long.MIN_VALUE;

    // Per GPU index; a slot without a reading has readAt Long.MIN_VALUE.
    public long[] memoryTotalMib = new long[0];
    public long[] memoryUsedMib = new long[0];
    public double[] utilizationPct = new double[0];
    public double[] powerDrawW = new double[0];

    /** NaN when the GPU reports no power limit. */
    public double[] powerLimitW = new double[0];

    public long[] readAt = new long[0];

    /** The request holding each GPU, or null when it is free. */
    public String[] reservedBy = new String[0];

    public NodeBook() {}

    /** A node first heard of at {@code region}/{@code cluster}/{@code node}. */
    public static NodeBook of(String region, String cluster, String node) {
        NodeBook book = new NodeBook();
        book.region = region;
        book.cluster = cluster;
        book.node = node;
        return book;
    }

    /** The key of a node in the scheduler's state. */
    public static String key(String cluster, String node) {
        return cluster + "/" + node;
    }

    public String key() {
        return key(cluster, node);
    }

    /** Grows the per-GPU arrays so that index {@code gpuIndex} exists. */
    public void ensureGpu(int gpuIndex) {
        int size = gpuIndex + 1;
        if (readAt.length >= size) {
            return;
        }
        int old = readAt.length;
        memoryTotalMib = Arrays.copyOf(memoryTotalMib, size);
        memoryUsedMib = Arrays.copyOf(memoryUsedMib, size);
        utilizationPct = Arrays.copyOf(utilizationPct, size);
        powerDrawW = Arrays.copyOf(powerDrawW, size);
        powerLimitW = Arrays.copyOf(powerLimitW, size);
        readAt = Arrays.copyOf(readAt, size);
        reservedBy = Arrays.copyOf(reservedBy, size);
        for (int i = old; i < size; i++) {
            readAt[i] = Long.MIN_VALUE;
            powerLimitW[i] = Double.NaN;
        }
    }

    /** GPUs that have reported at least once. */
    public int knownGpus() {
        int n = 0;
        for (long at : readAt) {
            if (at != Long.MIN_VALUE) {
                n++;
            }
        }
        return n;
    }

    /** GPUs held by some request. */
    public int reservedGpus() {
        int n = 0;
        for (String holder : reservedBy) {
            if (holder != null) {
                n++;
            }
        }
        return n;
    }

    /** UP and WATCH nodes take new work; DEGRADED, DRAIN, DOWN and unknown ones do not. */
    public boolean schedulable() {
        return status == NodeStatus.UP || status == NodeStatus.WATCH;
    }

    /** A deep copy: state keeps copies, so later changes never reach a snapshot in progress. */
    public NodeBook copy() {
        NodeBook c = new NodeBook();
        c.region = region;
        c.cluster = cluster;
        c.node = node;
        c.acceleratorType = acceleratorType;
        c.status = status;
        c.healthChangedAt = healthChangedAt;
        c.healthReason = healthReason;
        c.lastHeardAt = lastHeardAt;
        c.memoryTotalMib = memoryTotalMib.clone();
        c.memoryUsedMib = memoryUsedMib.clone();
        c.utilizationPct = utilizationPct.clone();
        c.powerDrawW = powerDrawW.clone();
        c.powerLimitW = powerLimitW.clone();
        c.readAt = readAt.clone();
        c.reservedBy = reservedBy.clone();
        return c;
    }
}
