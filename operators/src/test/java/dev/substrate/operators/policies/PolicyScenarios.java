package dev.substrate.operators.policies;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenarios for every template of the shipped catalogue, built from the policy's own thresholds: a
 * positive case, near misses (one event short, one second too late) and the positive case again
 * with its events shuffled within the watermark bound. Each case has its own key, so the expected
 * violations are exactly the (policy, key) pairs of the positive and shuffled cases.
 */
final class PolicyScenarios {

    /** Events of a shuffled case arrive up to this much later than their event time. */
    static final Duration SHUFFLE = Duration.ofSeconds(4);

    /** The watermark bound of the test's stream: every shuffled event is within it. */
    static final Duration BOUND = Duration.ofSeconds(10);

    static final Instant T0 = Instant.parse("2026-11-03T02:00:00Z"); // 02:00 UTC: after hours

    /** An event and the (arrival) order it reaches the job in. */
    record Arrival(PolicySignal signal, long arrivesAt) {}

    private final List<Arrival> arrivals = new ArrayList<>();
    private final List<String> expected = new ArrayList<>();
    private int serial;

    List<Arrival> arrivals() {
        return arrivals;
    }

    /** "policy-id/key" of every violation the scenarios plant. */
    List<String> expected() {
        return expected;
    }

    /**
     * Plants the four cases of {@code policy} (fewer for single-event policies) at {@code base}.
     */
    void plant(Policy policy, Instant base) {
        String id = policy.id();
        long t = base.toEpochMilli();
        switch (policy.template()) {
            case CREDENTIAL_STUFFING -> {
                int n = policy.thresholds().count("attempts");
                long within = policy.thresholds().duration("within").toMillis();
                for (Case c : Case.values()) {
                    String key = key(id, c);
                    int denied = c == Case.SHORT ? n - 1 : n;
                    List<PolicySignal> events = new ArrayList<>();
                    for (int i = 0; i < denied; i++) {
                        events.add(audit(key, "LOGIN", "DENIED", t + i * 1_000L));
                    }
                    long success = closing(c, t, within);
                    events.add(audit(key, "LOGIN", "ALLOWED", success));
                    add(policy, c, key, events);
                }
            }
            case DATA_EXFILTRATION -> {
                long within = policy.thresholds().duration("within").toMillis();
                for (Case c : Case.values()) {
                    String key = key(id, c);
                    PolicySignal read = audit(key, "DATA_READ", "ALLOWED", t);
                    read.classification = c == Case.SHORT ? "INTERNAL" : "PII";
                    read.resource = "dataset/customers-eu";
                    long at = closing(c, t, within);
                    PolicySignal export = audit(key, "DATA_EXPORT", "ALLOWED", at);
                    export.classification = "PII";
                    export.resource = "dataset/customers-eu";
                    export.destination = "s3://partner-dropbox/out";
                    // A near miss in a second way: an export to an internal place.
                    PolicySignal internal = audit(key, "DATA_EXPORT", "ALLOWED", t + 1_000);
                    internal.destination = "s3://substrate-lake/exports";
                    add(policy, c, key, List.of(read, internal, export));
                }
            }
            case UNENCRYPTED_TRANSFER -> {
                for (Case c : List.of(Case.POSITIVE, Case.SHORT, Case.SHUFFLED)) {
                    String key = key(id, c);
                    PolicySignal read = audit(key, "DATA_READ", "ALLOWED", t);
                    read.classification = "RESTRICTED";
                    read.encrypted = c == Case.SHORT;
                    PolicySignal publicRead = audit(key, "DATA_READ", "ALLOWED", t + 1_000);
                    publicRead.classification = "PUBLIC";
                    publicRead.encrypted = false;
                    add(policy, c, key, List.of(publicRead, read));
                }
            }
            case UNAPPROVED_MODEL -> {
                for (Case c : List.of(Case.POSITIVE, Case.SHORT, Case.SHUFFLED)) {
                    String key = key(id, c);
                    PolicySignal approved = invoke(key, "llama-3.1-8b", "3.1.2", t);
                    PolicySignal other =
                            invoke(
                                    key,
                                    "llama-3.1-8b",
                                    c == Case.SHORT ? "3.1.0" : "9.9",
                                    t + 1_000);
                    add(policy, c, key, List.of(approved, other));
                }
            }
            case PRIVILEGE_ESCALATION -> {
                long within = policy.thresholds().duration("within").toMillis();
                String admin = policy.thresholds().list("admin_actions").get(0);
                for (Case c : Case.values()) {
                    String key = key(id, c);
                    PolicySignal grant = audit(key, "ROLE_CHANGE", "ALLOWED", t);
                    grant.resource = "role/admin";
                    if (c == Case.SHORT) {
                        grant.outcome = "DENIED";
                    }
                    long at = closing(c, t, within);
                    PolicySignal act = audit(key, admin, "ALLOWED", at);
                    act.resource = "policy/pii-export";
                    add(policy, c, key, List.of(grant, act));
                }
            }
            case QUOTA_ABUSE -> {
                int k = policy.thresholds().count("rejections");
                long within = policy.thresholds().duration("within").toMillis();
                for (Case c : Case.values()) {
                    String key = key(id, c);
                    int count = c == Case.SHORT ? k - 1 : k;
                    List<PolicySignal> events = new ArrayList<>();
                    for (int i = 0; i < count - 1; i++) {
                        events.add(decision(key, "QUEUE", true, t + i * 1_000L));
                    }
                    events.add(decision(key, "ASSIGN", false, t + 500));
                    long at = closing(c, t, within);
                    events.add(decision(key, "REJECT", true, at));
                    add(policy, c, key, events);
                }
            }
            case TOKEN_SPIKE -> {
                double multiple = policy.thresholds().number("multiple");
                int k = policy.thresholds().count("invocations");
                long within = policy.thresholds().duration("within").toMillis();
                for (Case c : Case.values()) {
                    String key = key(id, c);
                    List<PolicySignal> events = new ArrayList<>();
                    // A baseline of 1,000 tokens, learned over 30 invocations a minute apart.
                    long start = t - 40 * 60_000L;
                    for (int i = 0; i < 30; i++) {
                        PolicySignal usual =
                                invoke(key, "llama-3.1-70b", "3.1.2", start + i * 60_000L);
                        usual.tokens = 1_000;
                        events.add(usual);
                    }
                    int spikes = c == Case.SHORT ? k - 1 : k;
                    for (int i = 0; i < spikes; i++) {
                        boolean last = i == spikes - 1;
                        long at = last ? closing(c, t, within) : t + i * 1_000L;
                        PolicySignal spike = invoke(key, "llama-3.1-70b", "3.1.2", at);
                        spike.tokens = (long) (1_000 * multiple * 1.5);
                        events.add(spike);
                    }
                    add(policy, c, key, events);
                }
            }
            case THERMAL_RUNAWAY -> {
                double hot = policy.thresholds().number("temperature");
                int n = policy.thresholds().count("readings");
                long within = policy.thresholds().duration("within").toMillis();
                for (Case c : Case.values()) {
                    String key = key(id, c);
                    List<PolicySignal> events = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        // One short: a cool reading breaks the run one before its end.
                        boolean cool = c == Case.SHORT && i == n - 2;
                        events.add(reading(key, cool ? hot - 10 : hot + 2, 0, t + i * 1_000L));
                    }
                    long at = closing(c, t, within);
                    events.add(reading(key, hot - 20, 0, at - 500));
                    events.add(reading(key, hot - 20, 43, at));
                    add(policy, c, key, events);
                }
            }
            case LOST_GPU_PLACEMENT -> {
                int xid = Integer.parseInt(policy.thresholds().list("xids").get(0));
                long within = policy.thresholds().duration("within").toMillis();
                for (Case c : Case.values()) {
                    String node = key(id, c);
                    PolicySignal fault = reading("gpu-" + node, 60, c == Case.SHORT ? 13 : xid, t);
                    fault.node = node;
                    long at = closing(c, t, within);
                    PolicySignal placed = decision("tenant-" + node, "ASSIGN", false, at);
                    placed.node = node;
                    add(policy, c, node, List.of(fault, placed));
                }
            }
            case DATA_RESIDENCY -> {
                var allowed =
                        policy.thresholds().map("allowed_regions").entrySet().iterator().next();
                for (Case c : List.of(Case.POSITIVE, Case.SHORT, Case.SHUFFLED)) {
                    String key = key(id, c);
                    PolicySignal home = invoke(key, allowed.getKey(), "2026.11", t);
                    home.region = allowed.getValue().get(0);
                    PolicySignal away = invoke(key, allowed.getKey(), "2026.11", t + 1_000);
                    away.region = c == Case.SHORT ? allowed.getValue().get(0) : "sa-east-1";
                    add(policy, c, key, List.of(home, away));
                }
            }
            case AFTER_HOURS_BULK_EXPORT -> {
                int n = policy.thresholds().count("exports");
                long within = policy.thresholds().duration("within").toMillis();
                String service = policy.thresholds().list("service_auth_methods").get(0);
                for (Case c : Case.values()) {
                    String key = key(id, c);
                    int count = c == Case.SHORT ? n - 1 : n;
                    List<PolicySignal> events = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        boolean last = i == count - 1;
                        long at = last ? closing(c, t, within) : t + i * 1_000L;
                        PolicySignal export = audit(key, "DATA_EXPORT", "ALLOWED", at);
                        export.authMethod = service;
                        export.destination = "s3://substrate-lake/nightly";
                        events.add(export);
                    }
                    add(policy, c, key, events);
                }
            }
        }
    }

    /** The kinds of case, each planted on its own key. */
    enum Case {
        POSITIVE,
        SHORT,
        TOO_LATE,
        SHUFFLED
    }

    private void add(Policy policy, Case c, String key, List<PolicySignal> events) {
        if (c == Case.POSITIVE || c == Case.SHUFFLED) {
            expected.add(policy.id() + "/" + key);
        }
        int i = 0;
        for (PolicySignal event : events) {
            long delay =
                    c == Case.SHUFFLED ? ((events.size() - i) % 5) * SHUFFLE.toMillis() / 4 : 0;
            arrivals.add(new Arrival(event, event.timestamp + delay));
            i++;
        }
    }

    /** When the event that completes a case comes: a second inside the window, or one past it. */
    private static long closing(Case c, long start, long within) {
        return c == Case.TOO_LATE ? start + within + 1_000 : start + within - 1_000;
    }

    private static String key(String policyId, Case c) {
        return policyId + "-" + c.name().toLowerCase();
    }

    private PolicySignal audit(String principal, String action, String outcome, long at) {
        return audit("e" + serial++, principal, action, outcome, at);
    }

    /** An allowed-or-denied audit signal of an ordinary, encrypted, internal kind. */
    static PolicySignal audit(
            String eventId, String principal, String action, String outcome, long at) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.AUDIT;
        s.eventId = eventId;
        s.timestamp = at;
        s.principal = principal;
        s.action = action;
        s.outcome = outcome;
        s.resource = "console.substrate.example";
        s.classification = "INTERNAL";
        s.encrypted = true;
        s.authMethod = "oidc";
        return s;
    }

    private PolicySignal invoke(String principal, String model, String version, long at) {
        PolicySignal s = audit(principal, "MODEL_INVOKE", "ALLOWED", at);
        s.resource = PolicySignals.MODEL_RESOURCE_PREFIX + model;
        s.model = model;
        s.modelVersion = version;
        return s;
    }

    private PolicySignal reading(String gpu, double temperature, int xid, long at) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.GPU;
        s.eventId = "g" + serial++;
        s.timestamp = at;
        s.gpu = gpu;
        s.node = "c1/" + gpu;
        s.temperature = temperature;
        s.xid = xid;
        return s;
    }

    private PolicySignal decision(String tenant, String action, boolean overQuota, long at) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.DECISION;
        s.eventId = "d" + serial++;
        s.timestamp = at;
        s.tenant = tenant;
        s.decision = action;
        s.overQuota = overQuota;
        return s;
    }
}
