package dev.substrate.jobs.vectors;

import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.schemas.RecordIds;
import dev.substrate.vectors.VectorDocument;
import java.util.List;
import java.util.Locale;
import javax.annotation.Nullable;

/**
 * Node-health incidents as documents: every change to a status other than UP, and every recovery to
 * UP, with its context (the node, the score, and the readings and reasons behind it). A node's
 * first UP and score-only changes within UP are not incidents.
 *
 * <p>Text: {@code Node n7 in cluster h100-a (us-east-1) changed from UP to DRAIN at <time>; health
 * score 20/100. Reasons: xid 79 on GPU-...: GPU has fallen off the bus (drain).}
 */
public final class NodeHealthDocuments implements DocumentMapper<NodeHealth> {

    private static final long serialVersionUID = 1L;

    public static final String KIND = "node-health";

    @Override
    public String name() {
        return KIND;
    }

    @Override
    @Nullable
    public VectorDocument toDocument(NodeHealth change) {
        NodeStatus status = change.getStatus();
        NodeStatus previous = change.getPreviousStatus();
        boolean recovery = status == NodeStatus.UP && previous != null && previous != NodeStatus.UP;
        if (status == NodeStatus.UP && !recovery) {
            return null;
        }
        List<String> reasons = change.getReasons();
        StringBuilder text =
                new StringBuilder("Node ")
                        .append(change.getNode())
                        .append(" in cluster ")
                        .append(change.getCluster())
                        .append(" (")
                        .append(change.getRegion())
                        .append(") changed from ")
                        .append(previous == null ? "no status" : previous)
                        .append(" to ")
                        .append(status)
                        .append(" at ")
                        .append(change.getChangedAt())
                        .append("; health score ")
                        .append(change.getScore())
                        .append("/100. Reasons: ");
        if (reasons.isEmpty()) {
            text.append(recovery ? "none, the node is healthy again." : "none given.");
        } else {
            text.append(String.join("; ", reasons)).append('.');
        }
        if (change.getLastSampleAt() != null && status == NodeStatus.DOWN) {
            text.append(" Last sample at ").append(change.getLastSampleAt()).append('.');
        }
        return VectorDocument.builder()
                .id(KIND + ":" + RecordIds.of(change))
                .kind(KIND)
                .text(text.toString())
                .time(change.getChangedAt())
                .metadata("severity", severity(status))
                .metadata("region", change.getRegion())
                .metadata("cluster", change.getCluster())
                .metadata("node", change.getNode())
                .metadata("status", status.name().toLowerCase(Locale.ROOT))
                .source(
                        FleetHealthStage.NODE_HEALTH_TABLE,
                        Lineage.and(
                                Lineage.equals("cluster", change.getCluster()),
                                Lineage.equals("node", change.getNode()),
                                Lineage.at("changed_at", change.getChangedAt()),
                                Lineage.equals("status", status.name())))
                .build();
    }

    static String severity(NodeStatus status) {
        return switch (status) {
            case DOWN, DRAIN -> "critical";
            case DEGRADED, WATCH -> "warning";
            case UP -> "info";
        };
    }
}
