package dev.substrate.operators.policies;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Writes the one-paragraph narrative of a violation in plain words: who or what, did what, when,
 * and why it breaks the policy. It is what a person reads first and what the vector store indexes,
 * so it names the policy, the key, the times and the counts, not field names.
 */
public final class ViolationNarrative {

    private ViolationNarrative() {}

    /** The narrative of {@code events} (in event-time order, at least one) matched by a policy. */
    public static String of(Policy policy, String key, List<PolicySignal> events) {
        PolicySignal first = events.get(0);
        PolicySignal last = events.get(events.size() - 1);
        String span = span(first.timestamp, last.timestamp);
        String what =
                switch (policy.template()) {
                    case CREDENTIAL_STUFFING ->
                            String.format(
                                    "Principal %s failed to authenticate %d times (%s on %s) and"
                                            + " then succeeded at %s, %s; a successful guess after"
                                            + " repeated failures looks like credential stuffing.",
                                    key,
                                    events.size() - 1,
                                    first.action.toLowerCase(),
                                    first.resource,
                                    time(last.timestamp),
                                    span);
                    case DATA_EXFILTRATION ->
                            String.format(
                                    "Principal %s read %s data from %s at %s and exported data"
                                            + " from %s to the external destination %s at %s, %s.",
                                    key,
                                    first.classification,
                                    first.resource,
                                    time(first.timestamp),
                                    last.resource,
                                    last.destination,
                                    time(last.timestamp),
                                    span);
                    case UNENCRYPTED_TRANSFER ->
                            String.format(
                                    "Principal %s %s %s data from %s at %s without encryption in"
                                            + " transit (authenticated by %s).",
                                    key,
                                    "DATA_EXPORT".equals(first.action) ? "exported" : "read",
                                    first.classification,
                                    first.resource,
                                    time(first.timestamp),
                                    first.authMethod);
                    case UNAPPROVED_MODEL ->
                            String.format(
                                    "Principal %s invoked model %s version %s at %s, which the"
                                            + " model registry did not approve at that time.",
                                    key, first.model, first.modelVersion, time(first.timestamp));
                    case PRIVILEGE_ESCALATION ->
                            String.format(
                                    "Principal %s was given %s at %s and performed the"
                                            + " administrative action %s on %s at %s, %s.",
                                    key,
                                    first.resource,
                                    time(first.timestamp),
                                    last.action,
                                    last.resource,
                                    time(last.timestamp),
                                    span);
                    case QUOTA_ABUSE ->
                            String.format(
                                    "Tenant %s was held back by its quota %d times between %s and"
                                            + " %s (%s): it keeps asking for more than it may use.",
                                    key,
                                    events.size(),
                                    time(first.timestamp),
                                    time(last.timestamp),
                                    span);
                    case TOKEN_SPIKE ->
                            String.format(
                                    "Principal %s made %d model invocations between %s and %s,"
                                            + " each using at least %.1f times its usual tokens"
                                            + " (up to %d tokens, %.1f times).",
                                    key,
                                    events.size(),
                                    time(first.timestamp),
                                    time(last.timestamp),
                                    events.stream().mapToDouble(e -> e.tokenRatio).min().orElse(0),
                                    events.stream().mapToLong(e -> e.tokens).max().orElse(0),
                                    events.stream().mapToDouble(e -> e.tokenRatio).max().orElse(0));
                    case THERMAL_RUNAWAY ->
                            String.format(
                                    "GPU %s on node %s ran at %.0f °C or hotter for %d readings in"
                                            + " a row from %s, then reported XID %d at %s, %s.",
                                    key,
                                    first.node,
                                    events.subList(0, events.size() - 1).stream()
                                            .mapToDouble(e -> e.temperature)
                                            .min()
                                            .orElse(first.temperature),
                                    events.size() - 1,
                                    time(first.timestamp),
                                    last.xid,
                                    time(last.timestamp),
                                    span);
                    case LOST_GPU_PLACEMENT ->
                            String.format(
                                    "GPU %s on node %s reported XID %d at %s, and the scheduler"
                                            + " still placed work of tenant %s on that node at %s"
                                            + " (%s).",
                                    first.gpu,
                                    key,
                                    first.xid,
                                    time(first.timestamp),
                                    last.tenant,
                                    time(last.timestamp),
                                    last.eventId);
                    case DATA_RESIDENCY ->
                            String.format(
                                    "Principal %s invoked model %s from region %s at %s; the"
                                            + " model may only be used from %s.",
                                    key,
                                    first.model,
                                    first.region,
                                    time(first.timestamp),
                                    String.join(
                                            ", ",
                                            policy.thresholds()
                                                    .map("allowed_regions")
                                                    .getOrDefault(first.model, List.of())));
                    case AFTER_HOURS_BULK_EXPORT ->
                            String.format(
                                    "Service account %s exported data %d times outside business"
                                            + " hours, between %s and %s (%s), the last to %s.",
                                    key,
                                    events.size(),
                                    time(first.timestamp),
                                    time(last.timestamp),
                                    span,
                                    last.destination == null ? last.resource : last.destination);
                };
        return String.format(
                "Policy %s (version %d, %s): %s %s",
                policy.id(), policy.version(), policy.severity(), what, policy.description());
    }

    private static String time(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    private static String span(long from, long to) {
        Duration d = Duration.ofMillis(to - from);
        if (d.toMinutes() >= 2) {
            return "within " + d.toMinutes() + " minutes";
        }
        return "within " + d.toSeconds() + " seconds";
    }
}
