package dev.substrate.operators.policies;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.DecisionTarget;
import dev.substrate.events.GpuSample;
import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns the job's typed events into {@link PolicySignal}s, keeping their event time. */
public final class PolicySignals {

    /** The prefix of a model's resource in an audit event ({@code model/<name>}). */
    public static final String MODEL_RESOURCE_PREFIX = "model/";

    private PolicySignals() {}

    public static PolicySignal of(AuditEvent event) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.AUDIT;
        s.eventId = event.getEventId();
        s.timestamp = event.getTimestamp().toEpochMilli();
        s.principal = event.getPrincipal();
        s.action = event.getAction().name();
        s.outcome = event.getOutcome().name();
        s.resource = event.getResource();
        s.classification = event.getDataClassification().name();
        s.encrypted = event.getEncryptedInTransit();
        s.authMethod = event.getAuthMethod();
        s.destination = event.getDestination();
        s.region = event.getRegion();
        s.modelVersion = event.getModelVersion();
        if (s.resource != null && s.resource.startsWith(MODEL_RESOURCE_PREFIX)) {
            s.model = s.resource.substring(MODEL_RESOURCE_PREFIX.length());
        }
        s.tokens = event.getTokens() == null ? 0 : event.getTokens();
        return s;
    }

    public static PolicySignal of(GpuSample sample) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.GPU;
        s.eventId = sample.getEventId();
        s.timestamp = sample.getTimestamp().toEpochMilli();
        s.node = sample.getCluster() + "/" + sample.getNode();
        s.gpu = sample.getGpuUuid();
        s.region = sample.getRegion();
        s.temperature = sample.getTemperatureC();
        s.xid = sample.getXid();
        return s;
    }

    /**
     * One signal per node a decision places work on (ASSIGN, REROUTE, RESCHEDULE), or one without a
     * node for the others; a QUEUE or REJECT over quota is marked {@link PolicySignal#overQuota}.
     */
    public static List<PolicySignal> of(SchedulingDecision decision) {
        List<PolicySignal> signals = new ArrayList<>();
        SchedulingAction action = decision.getAction();
        boolean placed =
                action == SchedulingAction.ASSIGN
                        || action == SchedulingAction.REROUTE
                        || action == SchedulingAction.RESCHEDULE;
        if (placed && !decision.getTargets().isEmpty()) {
            for (DecisionTarget target : decision.getTargets()) {
                PolicySignal s = decisionSignal(decision);
                s.eventId = decision.getDecisionId() + "@" + target.getNode();
                s.node = target.getCluster() + "/" + target.getNode();
                s.region = target.getRegion();
                signals.add(s);
            }
        } else {
            signals.add(decisionSignal(decision));
        }
        return signals;
    }

    private static PolicySignal decisionSignal(SchedulingDecision decision) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.DECISION;
        s.eventId = decision.getDecisionId();
        s.timestamp = decision.getDecidedAt().toEpochMilli();
        s.tenant = decision.getTenant();
        s.decision = decision.getAction().name();
        s.overQuota =
                (decision.getAction() == SchedulingAction.REJECT
                                || decision.getAction() == SchedulingAction.QUEUE)
                        && decision.getReason().toLowerCase(Locale.ROOT).contains("quota");
        return s;
    }
}
