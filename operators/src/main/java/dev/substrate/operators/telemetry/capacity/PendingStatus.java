package dev.substrate.operators.telemetry.capacity;

import dev.substrate.events.NodeStatus;

/**
 * A node-health change that arrived before event time reached it; keyed map state of {@link
 * ClusterCapacityFunction}, applied once a report's time passes {@link #changedAt}. A Flink POJO.
 */
public class PendingStatus {

    public String node;
    public NodeStatus status;
    public long changedAt;

    public PendingStatus() {}

    public PendingStatus(String node, NodeStatus status, long changedAt) {
        this.node = node;
        this.status = status;
        this.changedAt = changedAt;
    }
}
