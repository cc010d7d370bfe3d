package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.events.ClusterCapacity;

/**
 * {@code substrate.cluster-capacity}: each cluster's latest capacity (panel {@value #PANEL}, key
 * the cluster): nodes by health status, free and total GPUs, power headroom.
 */
public final class ClusterCapacityFeed implements Feed<ClusterCapacity> {

    public static final String PANEL = "capacity";

    private final String topic;

    public ClusterCapacityFeed(String topic) {
        this.topic = topic;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public Class<ClusterCapacity> recordClass() {
        return ClusterCapacity.class;
    }

    @Override
    public void accept(ClusterCapacity report, UpdateHub hub) {
        hub.publish(PANEL, report.getCluster().toString(), RecordJson.of(report).toString());
    }
}
