package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.events.NodeHealth;
import dev.substrate.schemas.RecordIds;

/**
 * {@code substrate.node-health}: every change of a node's health as it happens (panel {@value
 * #PANEL}, keyed by the change's record id, so a repeat from the at-least-once output replaces
 * itself).
 */
public final class NodeHealthFeed extends TopicFeed<NodeHealth> {

    public static final String PANEL = "node-health";

    private final DashboardMetrics metrics;

    public NodeHealthFeed(String topic, DashboardMetrics metrics) {
        super(topic, NodeHealth.class);
        this.metrics = metrics;
    }

    @Override
    public void accept(NodeHealth change, UpdateHub hub) {
        String id = RecordIds.of(change);
        if (metrics.firstSeen(topic(), id)) {
            metrics.nodeHealthChange(change.getStatus().name());
        }
        hub.publish(PANEL, id, RecordJson.of(change).toString());
    }
}
