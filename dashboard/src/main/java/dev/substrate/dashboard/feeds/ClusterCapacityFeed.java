package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.events.ClusterCapacity;

/**
 * {@code substrate.cluster-capacity}: each cluster's latest capacity (panel {@value #PANEL}, key
 * the cluster): nodes by health status, free and total GPUs, power headroom.
 */
public final class ClusterCapacityFeed extends TopicFeed<ClusterCapacity> {

    public static final String PANEL = "capacity";

    public ClusterCapacityFeed(String topic) {
        super(topic, ClusterCapacity.class);
    }

    @Override
    public void accept(ClusterCapacity report, UpdateHub hub) {
        hub.publish(PANEL, report.getCluster().toString(), RecordJson.of(report).toString());
    }
}
