package dev.substrate.operators.policies;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.SimpleCondition;

/**
 * Compiles a {@link Policy} into a Flink CEP pattern over {@link PolicySignal}s of one key, and
 * says which signals the policy reads at all (the rest never reach its operator).
 *
 * <p>Every pattern starts with {@link AfterMatchSkipStrategy#skipPastLastEvent()}: once a match is
 * found, every partial match that began inside it is dropped, so one incident (seven denied logins
 * then a success, twenty hot readings then an XID) is one match, not one per possible start.
 * Repeats after the match are the cool-down's business ({@link ViolationCoolDownFunction}). Between
 * the steps contiguity is relaxed (other events of the key may come between), except for the
 * consecutive hot readings of a thermal runaway.
 */
public final class PolicyPatterns {

    /** The names of the pattern's steps, in event order. */
    static final List<String> STEPS = List.of("first", "then");

    private PolicyPatterns() {}

    /** The pattern of {@code policy}. */
    public static Pattern<PolicySignal, PolicySignal> compile(Policy policy) {
        PolicyThresholds t = policy.thresholds();
        AfterMatchSkipStrategy skip = AfterMatchSkipStrategy.skipPastLastEvent();
        return switch (policy.template()) {
            case CREDENTIAL_STUFFING ->
                    Pattern.<PolicySignal>begin("first", skip)
                            .where(when(s -> authAttempt(s) && !s.allowed()))
                            .times(t.count("attempts"))
                            .followedBy("then")
                            .where(when(s -> authAttempt(s) && s.allowed()))
                            .within(t.duration("within"));
            case DATA_EXFILTRATION -> {
                List<String> internal = t.list("internal_destinations");
                yield Pattern.<PolicySignal>begin("first", skip)
                        .where(when(s -> s.isAudit("DATA_READ") && s.allowed() && s.sensitive()))
                        .followedBy("then")
                        .where(
                                when(
                                        s ->
                                                s.isAudit("DATA_EXPORT")
                                                        && s.allowed()
                                                        && external(s.destination, internal)))
                        .within(t.duration("within"));
            }
            case UNENCRYPTED_TRANSFER ->
                    Pattern.<PolicySignal>begin("first", skip).where(when(s -> unencrypted(s)));
            case UNAPPROVED_MODEL ->
                    Pattern.<PolicySignal>begin("first", skip)
                            .where(when(s -> s.isAudit("MODEL_INVOKE") && !s.modelApproved));
            case PRIVILEGE_ESCALATION -> {
                Set<String> admin = new HashSet<>(t.list("admin_actions"));
                yield Pattern.<PolicySignal>begin("first", skip)
                        .where(when(s -> s.isAudit("ROLE_CHANGE") && s.allowed()))
                        .followedBy("then")
                        .where(
                                when(
                                        s ->
                                                s.source == PolicySignal.Source.AUDIT
                                                        && s.allowed()
                                                        && admin.contains(s.action)))
                        .within(t.duration("within"));
            }
            case QUOTA_ABUSE ->
                    Pattern.<PolicySignal>begin("first", skip)
                            .where(when(s -> s.overQuota))
                            .times(t.count("rejections"))
                            .within(t.duration("within"));
            case TOKEN_SPIKE -> {
                double multiple = t.number("multiple");
                yield Pattern.<PolicySignal>begin("first", skip)
                        .where(when(s -> s.isAudit("MODEL_INVOKE") && s.tokenRatio >= multiple))
                        .times(t.count("invocations"))
                        .within(t.duration("within"));
            }
            case THERMAL_RUNAWAY -> {
                double hot = t.number("temperature");
                yield Pattern.<PolicySignal>begin("first", skip)
                        .where(
                                when(
                                        s ->
                                                s.source == PolicySignal.Source.GPU
                                                        && s.temperature >= hot))
                        .times(t.count("readings"))
                        .consecutive()
                        .followedBy("then")
                        .where(when(s -> s.source == PolicySignal.Source.GPU && s.xid != 0))
                        .within(t.duration("within"));
            }
            case LOST_GPU_PLACEMENT -> {
                Set<Integer> xids = new HashSet<>();
                for (String xid : t.list("xids")) {
                    xids.add(Integer.parseInt(xid));
                }
                yield Pattern.<PolicySignal>begin("first", skip)
                        .where(
                                when(
                                        s ->
                                                s.source == PolicySignal.Source.GPU
                                                        && xids.contains(s.xid)))
                        .followedBy("then")
                        .where(when(s -> s.source == PolicySignal.Source.DECISION))
                        .within(t.duration("within"));
            }
            case DATA_RESIDENCY -> {
                Map<String, List<String>> allowed = t.map("allowed_regions");
                yield Pattern.<PolicySignal>begin("first", skip)
                        .where(
                                when(
                                        s ->
                                                s.isAudit("MODEL_INVOKE")
                                                        && s.region != null
                                                        && allowed.containsKey(s.model)
                                                        && !allowed.get(s.model)
                                                                .contains(s.region)));
            }
            case AFTER_HOURS_BULK_EXPORT -> {
                int from = t.count("business_hours.from");
                int to = t.count("business_hours.to");
                Set<String> services = new HashSet<>(t.list("service_auth_methods"));
                yield Pattern.<PolicySignal>begin("first", skip)
                        .where(
                                when(
                                        s ->
                                                s.isAudit("DATA_EXPORT")
                                                        && s.allowed()
                                                        && services.contains(s.authMethod)
                                                        && !inHours(s.timestamp, from, to)))
                        .times(t.count("exports"))
                        .within(t.duration("within"));
            }
        };
    }

    /**
     * The signals {@code policy} reads: those of its key's kind, with a key. The others never enter
     * its operator, which keeps each operator's state to what its pattern can use.
     */
    public static FilterFunction<PolicySignal> reads(Policy policy) {
        PolicyKey key = policy.key();
        return switch (policy.template()) {
            case THERMAL_RUNAWAY -> s -> s.source == PolicySignal.Source.GPU && key.of(s) != null;
            case LOST_GPU_PLACEMENT ->
                    s ->
                            (s.source == PolicySignal.Source.GPU && s.xid != 0
                                            || s.source == PolicySignal.Source.DECISION)
                                    && key.of(s) != null;
            case QUOTA_ABUSE -> s -> s.source == PolicySignal.Source.DECISION && s.overQuota;
            case UNENCRYPTED_TRANSFER -> PolicyPatterns::unencrypted;
            case UNAPPROVED_MODEL -> s -> s.isAudit("MODEL_INVOKE") && key.of(s) != null;
            case TOKEN_SPIKE, DATA_RESIDENCY -> s -> s.isAudit("MODEL_INVOKE") && key.of(s) != null;
            case CREDENTIAL_STUFFING ->
                    s -> (s.isAudit("LOGIN") || s.isAudit("MODEL_INVOKE")) && key.of(s) != null;
            case DATA_EXFILTRATION ->
                    s -> (s.isAudit("DATA_READ") || s.isAudit("DATA_EXPORT")) && key.of(s) != null;
            case AFTER_HOURS_BULK_EXPORT -> s -> s.isAudit("DATA_EXPORT") && key.of(s) != null;
            case PRIVILEGE_ESCALATION -> {
                Set<String> steps = new HashSet<>(policy.thresholds().list("admin_actions"));
                steps.add("ROLE_CHANGE");
                yield s ->
                        s.source == PolicySignal.Source.AUDIT
                                && steps.contains(s.action)
                                && key.of(s) != null;
            }
        };
    }

    /** The longest event-time span of one match, or zero for single events. */
    public static Duration span(Policy policy) {
        Duration within = policy.thresholds().durations().get("within");
        return within == null ? Duration.ZERO : within;
    }

    private static SimpleCondition<PolicySignal> when(FilterFunction<PolicySignal> test) {
        return SimpleCondition.of(test);
    }

    private static boolean authAttempt(PolicySignal s) {
        return s.isAudit("LOGIN") || s.isAudit("MODEL_INVOKE");
    }

    private static boolean unencrypted(PolicySignal s) {
        return (s.isAudit("DATA_READ") || s.isAudit("DATA_EXPORT"))
                && s.sensitive()
                && !s.encrypted;
    }

    static boolean external(String destination, List<String> internalPrefixes) {
        if (destination == null || destination.isBlank()) {
            return false;
        }
        for (String prefix : internalPrefixes) {
            if (destination.startsWith(prefix)) {
                return false;
            }
        }
        return true;
    }

    static boolean inHours(long epochMillis, int from, int to) {
        int hour = Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC).getHour();
        return hour >= from && hour < to;
    }
}
