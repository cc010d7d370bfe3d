package dev.substrate.operators.telemetry.capacity;

import dev.substrate.events.NodeStatus;

/**
 * What capacity knows of one node: its health status (null until the health changelog names it) and
 * when it was last heard of. Keyed map state of {@link ClusterCapacityFunction}. A Flink POJO.
 */
public class NodeEntry {

    public NodeStatus status;
    public long lastHeardAt = Long.MIN_VALUE;

    public NodeEntry() {}
}
