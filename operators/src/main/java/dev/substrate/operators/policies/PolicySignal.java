package dev.substrate.operators.policies;

import java.util.Objects;

/**
 * One input event as the policies see it: an audit event, a GPU reading or a scheduling decision,
 * flattened to the fields the patterns test. A Flink POJO (no Kryo), so the CEP operators keep
 * partial matches of it in their state; fields a source does not have stay null, 0 or false.
 */
public class PolicySignal {

    /** Where a signal comes from. */
    public enum Source {
        AUDIT,
        GPU,
        DECISION
    }

    public String eventId;
    public long timestamp;
    public Source source;

    // Audit events (principal is tokenized by the ingest; policies only compare it).
    public String principal;
    public String action;
    public String outcome;
    public String resource;
    public String classification;
    public boolean encrypted;
    public String authMethod;
    public String destination;
    public String region;
    public String model;
    public String modelVersion;
    public long tokens;

    /**
     * False when the model registry did not approve {@link #modelVersion} at {@link #timestamp}.
     */
    public boolean modelApproved = true;

    /** tokens over the principal's own baseline; 0 while the baseline warms up. */
    public double tokenRatio;

    // GPU readings and scheduling decisions.
    public String node;
    public String gpu;
    public double temperature;
    public int xid;

    // Scheduling decisions.
    public String tenant;
    public String decision;
    public boolean overQuota;

    public PolicySignal() {}

    /** A copy, for a step that changes a field (object reuse is on in the job). */
    public PolicySignal copy() {
        PolicySignal c = new PolicySignal();
        c.eventId = eventId;
        c.timestamp = timestamp;
        c.source = source;
        c.principal = principal;
        c.action = action;
        c.outcome = outcome;
        c.resource = resource;
        c.classification = classification;
        c.encrypted = encrypted;
        c.authMethod = authMethod;
        c.destination = destination;
        c.region = region;
        c.model = model;
        c.modelVersion = modelVersion;
        c.tokens = tokens;
        c.modelApproved = modelApproved;
        c.tokenRatio = tokenRatio;
        c.node = node;
        c.gpu = gpu;
        c.temperature = temperature;
        c.xid = xid;
        c.tenant = tenant;
        c.decision = decision;
        c.overQuota = overQuota;
        return c;
    }

    boolean isAudit(String auditAction) {
        return source == Source.AUDIT && auditAction.equals(action);
    }

    boolean allowed() {
        return "ALLOWED".equals(outcome);
    }

    boolean sensitive() {
        return "PII".equals(classification) || "RESTRICTED".equals(classification);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PolicySignal s
                && timestamp == s.timestamp
                && Objects.equals(eventId, s.eventId)
                && source == s.source;
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId, timestamp, source);
    }

    @Override
    public String toString() {
        return source + ":" + eventId + "@" + timestamp;
    }
}
