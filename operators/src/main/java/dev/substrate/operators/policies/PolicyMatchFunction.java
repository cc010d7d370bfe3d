package dev.substrate.operators.policies;

import dev.substrate.events.PolicyViolation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turns one CEP match of a policy into a {@link PolicyViolation}: the matched events as evidence,
 * the narrative, and an id made of the policy, the key and the first event's time, so the same
 * incident found again after a restart has the same id.
 */
public class PolicyMatchFunction extends PatternProcessFunction<PolicySignal, PolicyViolation> {

    private static final long serialVersionUID = 1L;

    private final Policy policy;

    public PolicyMatchFunction(Policy policy) {
        this.policy = policy;
    }

    @Override
    public void processMatch(
            Map<String, List<PolicySignal>> match, Context ctx, Collector<PolicyViolation> out) {
        List<PolicySignal> events = new ArrayList<>();
        for (String step : PolicyPatterns.STEPS) {
            events.addAll(match.getOrDefault(step, List.of()));
        }
        events.sort(Comparator.comparingLong((PolicySignal s) -> s.timestamp));
        out.collect(violation(policy, events, ctx.currentProcessingTime()));
    }

    /** The violation of {@code events} (event-time order), detected at wall-clock {@code now}. */
    static PolicyViolation violation(Policy policy, List<PolicySignal> events, long now) {
        PolicySignal first = events.get(0);
        PolicySignal last = events.get(events.size() - 1);
        String key = policy.key().of(first);
        List<String> evidence = new ArrayList<>();
        for (PolicySignal event : events) {
            evidence.add(event.eventId);
        }
        return PolicyViolation.newBuilder()
                .setViolationId(
                        policy.id() + "-v" + policy.version() + ":" + key + "@" + first.timestamp)
                .setRevision(1)
                .setPolicyId(policy.id())
                .setPolicyVersion(policy.version())
                .setSeverity(policy.severity())
                .setKey(key)
                .setKeyKind(policy.key().fileName())
                .setFirstEventAt(Instant.ofEpochMilli(first.timestamp))
                .setLastEventAt(Instant.ofEpochMilli(last.timestamp))
                .setEvidence(evidence)
                .setNarrative(ViolationNarrative.of(policy, key, events))
                .setSuppressedCount(0)
                .setDetectedAt(Instant.ofEpochMilli(now))
                .setDetectionLatencyMs(Math.max(0, now - last.timestamp))
                .build();
    }
}
