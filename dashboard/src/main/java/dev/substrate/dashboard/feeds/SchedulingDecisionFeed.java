package dev.substrate.dashboard.feeds;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.dashboard.tenants.TenantUsage;
import dev.substrate.events.SchedulingDecision;

/**
 * {@code substrate.scheduling-decisions}: the latest decisions with their reasons (panel {@value
 * #PANEL}, keyed by decision id, so a repeat replaces itself) and the count per action and
 * event-time minute ({@value #TIMELINE_PANEL}), each decision counted once (the metric {@code
 * substrate_dashboard_scheduling_decisions_total} has the totals); and the placements behind
 * GPU-hours and energy per tenant ({@link TenantUsage}).
 */
public final class SchedulingDecisionFeed extends TopicFeed<SchedulingDecision> {

    public static final String PANEL = "decisions";
    public static final String TIMELINE_PANEL = "decision-timeline";

    /** Minutes of event time the timeline keeps. */
    static final int TIMELINE_MINUTES = 120;

    private final DashboardMetrics metrics;
    private final TenantUsage tenants;
    private final MinuteCounts timeline = new MinuteCounts(TIMELINE_MINUTES);

    public SchedulingDecisionFeed(String topic, DashboardMetrics metrics, TenantUsage tenants) {
        super(topic, SchedulingDecision.class);
        this.metrics = metrics;
        this.tenants = tenants;
    }

    @Override
    public void accept(SchedulingDecision decision, UpdateHub hub) {
        String id = decision.getDecisionId();
        hub.publish(PANEL, id, RecordJson.of(decision).toString());
        TenantUsage.publish(tenants.decision(decision), hub);
        if (!metrics.firstSeen(topic(), id)) {
            return;
        }
        String action = decision.getAction().name();
        long latency =
                decision.getEmittedAt().toEpochMilli() - decision.getDecidedAt().toEpochMilli();
        metrics.schedulingDecision(action, latency);
        long[] minute = timeline.add(decision.getDecidedAt(), action);
        if (minute != null) {
            ObjectNode point = JsonNodeFactory.instance.objectNode();
            point.put("action", action);
            point.put("minute", minute[0]);
            point.put("count", minute[1]);
            hub.publish(TIMELINE_PANEL, action + "|" + minute[0], point.toString());
        }
    }
}
