package dev.substrate.samples;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * An endless, deterministic stream of audit events: people (e-mail addresses) and service accounts
 * invoking models, reading and exporting data, deploying models, changing roles and policies and
 * logging in, mostly allowed.
 *
 * <p>Now and then it plays a short scenario that a policy should catch, events back to back:
 *
 * <ul>
 *   <li>{@code BRUTE_FORCE}: several denied password logins for one person from one outside
 *       address, sometimes followed by an allowed login and an export of PII from there;
 *   <li>{@code ESCALATION}: a role change to {@code role/data-exporter}, then exports of PII;
 *   <li>{@code UNENCRYPTED}: a read of restricted data without encryption in transit.
 * </ul>
 *
 * Events come in event-time order, one per {@code meanSpacing} on average.
 */
public final class AuditEventGenerator implements Iterator<AuditEvent> {

    /** The resource a login is made against. */
    public static final String CONSOLE = "console.substrate.example";

    /** The role whose grant starts an escalation scenario. */
    public static final String EXPORTER_ROLE = "role/data-exporter";

    private record Dataset(String resource, DataClassification classification) {}

    private static final List<Dataset> DATASETS =
            List.of(
                    new Dataset("dataset/public-benchmarks", DataClassification.PUBLIC),
                    new Dataset("dataset/clickstream-2026", DataClassification.INTERNAL),
                    new Dataset("dataset/gpu-telemetry", DataClassification.INTERNAL),
                    new Dataset("dataset/customers-eu", DataClassification.PII),
                    new Dataset("dataset/support-tickets", DataClassification.PII),
                    new Dataset("dataset/patient-trials", DataClassification.RESTRICTED),
                    new Dataset("dataset/payroll", DataClassification.RESTRICTED));
    private static final double[] DATASET_WEIGHTS = {15, 30, 20, 15, 10, 5, 5};

    private static final List<AuditAction> ACTIONS =
            List.of(
                    AuditAction.MODEL_INVOKE,
                    AuditAction.DATA_READ,
                    AuditAction.LOGIN,
                    AuditAction.DATA_EXPORT,
                    AuditAction.MODEL_DEPLOY,
                    AuditAction.ROLE_CHANGE,
                    AuditAction.POLICY_CHANGE,
                    AuditAction.OTHER);
    private static final double[] ACTION_WEIGHTS = {45, 25, 12, 5, 5, 3, 2, 3};

    private static final List<String> ROLES =
            List.of("role/ml-engineer", "role/data-scientist", "role/viewer", "role/admin");
    private static final List<String> POLICIES =
            List.of("policy/data-retention", "policy/pii-export", "policy/model-access");
    private static final List<String> OTHER_RESOURCES =
            List.of("notebook/shared-eda", "bucket/scratch", "pipeline/nightly-features");

    private record Principal(String name, String homeAddress, boolean service) {}

    private final long seed;
    private final SampleRandom random;
    private final EventClock clock;
    private final List<Principal> people;
    private final List<Principal> services;
    private final ArrayDeque<AuditEvent.Builder> scenario = new ArrayDeque<>();
    private long emitted;

    public AuditEventGenerator(long seed, Instant start, Duration meanSpacing) {
        this.seed = seed;
        this.random = new SampleRandom(seed, "audit-events");
        this.clock = new EventClock(start, meanSpacing, new SampleRandom(seed, "audit-clock"));
        this.people = people();
        this.services = services();
    }

    /** Always true: audit events keep coming. */
    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public AuditEvent next() {
        if (scenario.isEmpty()) {
            double draw = random.uniform();
            if (draw < 0.004) {
                bruteForce();
            } else if (draw < 0.007) {
                escalation();
            } else if (draw < 0.009) {
                unencryptedRead();
            }
        }
        AuditEvent.Builder event = scenario.isEmpty() ? ordinary() : scenario.poll();
        return event.setEventId(
                        SampleRandom.uuid(
                                "audit-event", Long.toString(seed), Long.toString(emitted++)))
                .setTimestamp(clock.next())
                .build();
    }

    private AuditEvent.Builder ordinary() {
        boolean service = random.chance(0.3);
        Principal principal = random.pick(service ? services : people);
        AuditAction action = random.weighted(ACTIONS, ACTION_WEIGHTS);
        if (service && (action == AuditAction.LOGIN || action == AuditAction.ROLE_CHANGE)) {
            action = AuditAction.MODEL_INVOKE;
        }
        String address = random.chance(0.05) ? outsideAddress() : principal.homeAddress();
        AuditEvent.Builder event =
                draft(principal.name(), action, address)
                        .setEncryptedInTransit(!random.chance(0.01));
        String authMethod;
        switch (action) {
            case MODEL_INVOKE, MODEL_DEPLOY -> {
                SampleVocabulary.ModelSpec model = random.pick(SampleVocabulary.MODELS);
                event.setResource("model/" + model.name())
                        .setDataClassification(DataClassification.INTERNAL)
                        .setModelVersion(random.pick(model.versions()));
                authMethod =
                        service
                                ? (random.chance(0.6) ? "mtls" : "api_key")
                                : random.pick(List.of("oidc", "api_key", "mfa"));
            }
            case DATA_READ, DATA_EXPORT -> {
                Dataset dataset = random.weighted(DATASETS, DATASET_WEIGHTS);
                event.setResource(dataset.resource())
                        .setDataClassification(dataset.classification());
                authMethod = service ? "mtls" : random.pick(List.of("oidc", "mfa"));
                boolean sensitive =
                        dataset.classification() == DataClassification.PII
                                || dataset.classification() == DataClassification.RESTRICTED;
                if (action == AuditAction.DATA_EXPORT && sensitive && random.chance(0.3)) {
                    event.setOutcome(AuditOutcome.DENIED);
                }
            }
            case LOGIN -> {
                event.setResource(CONSOLE).setDataClassification(DataClassification.INTERNAL);
                authMethod =
                        random.weighted(
                                List.of("password", "mfa", "oidc"), new double[] {35, 40, 25});
                if (random.chance(0.04)) {
                    event.setOutcome(AuditOutcome.DENIED);
                }
            }
            case ROLE_CHANGE -> {
                event.setResource(random.pick(ROLES))
                        .setDataClassification(DataClassification.INTERNAL);
                authMethod = "mfa";
            }
            case POLICY_CHANGE -> {
                event.setResource(random.pick(POLICIES))
                        .setDataClassification(DataClassification.INTERNAL);
                authMethod = "mfa";
            }
            default -> {
                event.setResource(random.pick(OTHER_RESOURCES))
                        .setDataClassification(DataClassification.INTERNAL);
                authMethod = service ? "mtls" : "oidc";
            }
        }
        if (event.getOutcome() == AuditOutcome.ALLOWED && random.chance(0.015)) {
            event.setOutcome(AuditOutcome.DENIED);
        }
        return event.setAuthMethod(authMethod);
    }

    private void bruteForce() {
        Principal target = random.pick(people);
        String attacker = outsideAddress();
        int attempts = random.between(5, 9);
        for (int i = 0; i < attempts; i++) {
            scenario.add(
                    draft(target.name(), AuditAction.LOGIN, attacker)
                            .setResource(CONSOLE)
                            .setDataClassification(DataClassification.INTERNAL)
                            .setAuthMethod("password")
                            .setEncryptedInTransit(true)
                            .setOutcome(AuditOutcome.DENIED));
        }
        if (random.chance(0.4)) {
            scenario.add(
                    draft(target.name(), AuditAction.LOGIN, attacker)
                            .setResource(CONSOLE)
                            .setDataClassification(DataClassification.INTERNAL)
                            .setAuthMethod("password")
                            .setEncryptedInTransit(true));
            scenario.add(piiExport(target.name(), attacker, "password"));
        }
    }

    private void escalation() {
        Principal principal = random.pick(people);
        scenario.add(
                draft(principal.name(), AuditAction.ROLE_CHANGE, principal.homeAddress())
                        .setResource(EXPORTER_ROLE)
                        .setDataClassification(DataClassification.INTERNAL)
                        .setAuthMethod("mfa")
                        .setEncryptedInTransit(true));
        int exports = random.between(1, 3);
        for (int i = 0; i < exports; i++) {
            scenario.add(piiExport(principal.name(), principal.homeAddress(), "oidc"));
        }
    }

    private void unencryptedRead() {
        Principal principal = random.pick(people);
        Dataset restricted = random.chance(0.5) ? DATASETS.get(5) : DATASETS.get(6);
        scenario.add(
                draft(principal.name(), AuditAction.DATA_READ, principal.homeAddress())
                        .setResource(restricted.resource())
                        .setDataClassification(restricted.classification())
                        .setAuthMethod("password")
                        .setEncryptedInTransit(false));
    }

    private AuditEvent.Builder piiExport(String principal, String address, String authMethod) {
        Dataset pii = random.chance(0.6) ? DATASETS.get(3) : DATASETS.get(4);
        return draft(principal, AuditAction.DATA_EXPORT, address)
                .setResource(pii.resource())
                .setDataClassification(pii.classification())
                .setAuthMethod(authMethod)
                .setEncryptedInTransit(true);
    }

    /** An allowed event with everything but its id, time, resource and auth method. */
    private static AuditEvent.Builder draft(String principal, AuditAction action, String address) {
        return AuditEvent.newBuilder()
                .setPrincipal(principal)
                .setAction(action)
                .setOutcome(AuditOutcome.ALLOWED)
                .setSourceAddress(address)
                .setModelVersion(null);
    }

    /** An address outside the company network (documentation ranges, RFC 5737). */
    private String outsideAddress() {
        String net = random.pick(List.of("198.51.100.", "203.0.113.", "192.0.2."));
        return net + random.between(1, 254);
    }

    private static List<Principal> people() {
        List<Principal> people = new ArrayList<>();
        Set<String> taken = new HashSet<>();
        List<String> first = SampleVocabulary.FIRST_NAMES;
        List<String> last = SampleVocabulary.LAST_NAMES;
        for (int i = 0; i < 160; i++) {
            String tenant = SampleVocabulary.TENANTS.get(i % SampleVocabulary.TENANTS.size());
            String local =
                    first.get(i % first.size()) + "." + last.get((i * 7 + i / 24) % last.size());
            String email = local + "@" + SampleVocabulary.domainOf(tenant);
            for (int n = 2; !taken.add(email); n++) {
                email = local + n + "@" + SampleVocabulary.domainOf(tenant);
            }
            people.add(new Principal(email, homeAddress(i), false));
        }
        return List.copyOf(people);
    }

    private static List<Principal> services() {
        List<Principal> services = new ArrayList<>();
        int i = 0;
        for (String tenant : SampleVocabulary.TENANTS) {
            for (String role : List.of("svc-inference", "svc-pipeline")) {
                services.add(
                        new Principal(
                                role + "@" + SampleVocabulary.domainOf(tenant),
                                "10.200." + (i / 250) + "." + (i % 250 + 1),
                                true));
                i++;
            }
        }
        return List.copyOf(services);
    }

    private static String homeAddress(int person) {
        return "10." + (10 + person % 8) + "." + (person / 8 % 250) + "." + (person % 200 + 20);
    }
}
