package dev.substrate.dashboard.feeds;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.events.PolicySeverity;
import dev.substrate.events.PolicyViolation;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code substrate.policy-violations}: the latest violations with their narratives and evidence ids
 * (panel {@value #PANEL}, keyed by violation id, so revision 2 of an incident replaces revision 1)
 * and the count of incidents per severity ({@value #SEVERITIES_PANEL}), each incident counted once
 * whatever its revisions and repeats.
 */
public final class PolicyViolationFeed extends TopicFeed<PolicyViolation> {

    public static final String PANEL = "violations";
    public static final String SEVERITIES_PANEL = "violation-severities";

    private final DashboardMetrics metrics;
    private final Map<PolicySeverity, Long> bySeverity = new EnumMap<>(PolicySeverity.class);

    public PolicyViolationFeed(String topic, DashboardMetrics metrics) {
        super(topic, PolicyViolation.class);
        this.metrics = metrics;
    }

    @Override
    public void accept(PolicyViolation violation, UpdateHub hub) {
        String id = violation.getViolationId();
        hub.publish(PANEL, id, RecordJson.of(violation).toString());
        if (!metrics.firstSeen(topic(), id)) {
            return;
        }
        PolicySeverity severity = violation.getSeverity();
        metrics.policyViolation(violation.getPolicyId(), severity.name());
        if (violation.getRevision() == 1) {
            // Revision 2 leaves the operator when the cool-down ends: not a detection.
            metrics.detectionLatency(violation.getDetectionLatencyMs());
        }
        long count = bySeverity.merge(severity, 1L, Long::sum);
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("severity", severity.name());
        json.put("count", count);
        hub.publish(SEVERITIES_PANEL, severity.name(), json.toString());
    }
}
