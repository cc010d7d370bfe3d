package dev.substrate.samples;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An endless, deterministic stream of audit events: people (e-mail addresses) and service accounts
 * invoking models, reading and exporting data, deploying models, changing roles and policies and
 * logging in, mostly allowed.
 *
 * <p>Now and then, at a known rate per event, it plays a short scenario that a policy of the
 * shipped policy file should catch, events back to back, and remembers it ({@link #planted()}):
 *
 * <ul>
 *   <li>brute force (0.4 %): five to nine denied password logins for one person from one outside
 *       address, in 40 % of them followed by an allowed login (credential-stuffing) and an export
 *       of PII from there;
 *   <li>escalation (0.3 %): a role change to {@code role/data-exporter}, a change of the PII export
 *       policy (privilege-escalation), then exports of PII;
 *   <li>unencrypted (0.2 %): a read of restricted data without encryption in transit;
 *   <li>exfiltration (0.2 %): a read of PII, then an export to an outside destination;
 *   <li>unapproved model (0.2 %): an invocation of a model version no one approved ({@link
 *       #UNAPPROVED_SUFFIX});
 *   <li>token spike (0.15 %): three invocations with forty times a principal's usual tokens, once
 *       it has made at least {@value #BASELINE_INVOCATIONS} invocations (denial-of-wallet);
 *   <li>residency (0.2 %): {@value #RESIDENT_MODEL} invoked from {@value #FOREIGN_REGION};
 *   <li>after-hours export (0.2 %, only between 21:00 and 06:00 UTC): a service account exports six
 *       times within a minute.
 * </ul>
 *
 * Ordinary events never form an incident: sensitive data always travels encrypted, exports go to
 * internal destinations and only people export, administrative actions are made by service accounts
 * (who never change roles), model invocations use 400 to 1,600 tokens and name no region. Events
 * come in event-time order, one per {@code meanSpacing} on average.
 */
public final class AuditEventGenerator implements Iterator<AuditEvent> {

    /** The resource a login is made against. */
    public static final String CONSOLE = "console.substrate.example";

    /** The role whose grant starts an escalation scenario. */
    public static final String EXPORTER_ROLE = "role/data-exporter";

    /** The suffix of model versions no one approved (the unapproved-model scenario). */
    public static final String UNAPPROVED_SUFFIX = "-unreviewed";

    /** The model the residency scenario invokes from abroad, and where from. */
    public static final String RESIDENT_MODEL = "fraud-gbdt-embedder";

    public static final String FOREIGN_REGION = "sa-east-1";

    /** Invocations a principal makes before a token spike is planted on it. */
    public static final int BASELINE_INVOCATIONS = 40;

    /** Where ordinary exports go: inside the company (the policy file's internal destinations). */
    public static final String INTERNAL_EXPORTS = "s3://substrate-exports/";

    /**
     * An incident a scenario planted: the policy of the shipped policy file that should report it
     * and the principal it concerns (before PII tokenization).
     */
    public record PlantedIncident(String policyId, String principal, Instant at) {}

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
    private final List<PlantedIncident> planted = new ArrayList<>();
    private final Map<String, Integer> invocations = new HashMap<>();
    private final Map<String, Instant> lockedUntil = new HashMap<>();
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
            } else if (draw < 0.011) {
                exfiltration();
            } else if (draw < 0.013) {
                unapprovedModel();
            } else if (draw < 0.0145) {
                tokenSpike();
            } else if (draw < 0.0165) {
                residency();
            } else if (draw < 0.0185) {
                afterHoursExport();
            }
        }
        AuditEvent.Builder event = scenario.isEmpty() ? ordinary() : scenario.poll();
        if (event.getAction() == AuditAction.MODEL_INVOKE) {
            invocations.merge(event.getPrincipal(), 1, Integer::sum);
        }
        return event.setEventId(
                        SampleRandom.uuid(
                                "audit-event", Long.toString(seed), Long.toString(emitted++)))
                .setTimestamp(clock.next())
                .build();
    }

    /** The incidents planted so far, in the order their events are emitted. */
    public List<PlantedIncident> planted() {
        return List.copyOf(planted);
    }

    private AuditEvent.Builder ordinary() {
        boolean service = random.chance(0.3);
        Principal principal = random.pick(service ? services : people);
        if (!service) {
            principal = unlocked(principal);
        }
        AuditAction action = random.weighted(ACTIONS, ACTION_WEIGHTS);
        if (service && (action == AuditAction.LOGIN || action == AuditAction.ROLE_CHANGE)) {
            action = AuditAction.MODEL_INVOKE;
        }
        if (service && action == AuditAction.DATA_EXPORT) {
            action = AuditAction.DATA_READ;
        }
        if (!service
                && (action == AuditAction.MODEL_DEPLOY || action == AuditAction.POLICY_CHANGE)) {
            // Deploys and policy changes go through pipelines: people who change roles never
            // make them, so no ordinary sequence looks like an escalation.
            service = true;
            principal = random.pick(services);
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
                if (action == AuditAction.MODEL_INVOKE) {
                    event.setTokens((long) random.between(400, 1600));
                }
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
                if (action == AuditAction.DATA_EXPORT) {
                    event.setDestination(INTERNAL_EXPORTS + dataset.resource());
                }
                if (sensitive) {
                    event.setEncryptedInTransit(true);
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

    /**
     * {@code person}, or another person when their account is locked after a failed brute force: a
     * locked account makes no events, so nothing of theirs completes the failed attempts.
     */
    private Principal unlocked(Principal person) {
        Principal p = person;
        while (locked(p)) {
            p = random.pick(people);
        }
        return p;
    }

    /** Whether a person's account is locked after a failed brute force (no events of theirs). */
    private boolean locked(Principal person) {
        Instant until = lockedUntil.get(person.name());
        return until != null && clock.peek().isBefore(until);
    }

    private void bruteForce() {
        Principal target = unlocked(random.pick(people));
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
            plant("credential-stuffing", target.name());
            scenario.add(
                    draft(target.name(), AuditAction.LOGIN, attacker)
                            .setResource(CONSOLE)
                            .setDataClassification(DataClassification.INTERNAL)
                            .setAuthMethod("password")
                            .setEncryptedInTransit(true));
            scenario.add(piiExport(target.name(), attacker, "password"));
        } else {
            // The account locks: no success of that person follows within the policy's window.
            lockedUntil.put(target.name(), clock.peek().plus(Duration.ofMinutes(30)));
        }
    }

    private void escalation() {
        Principal principal = unlocked(random.pick(people));
        scenario.add(
                draft(principal.name(), AuditAction.ROLE_CHANGE, principal.homeAddress())
                        .setResource(EXPORTER_ROLE)
                        .setDataClassification(DataClassification.INTERNAL)
                        .setAuthMethod("mfa")
                        .setEncryptedInTransit(true));
        scenario.add(
                draft(principal.name(), AuditAction.POLICY_CHANGE, principal.homeAddress())
                        .setResource("policy/pii-export")
                        .setDataClassification(DataClassification.INTERNAL)
                        .setAuthMethod("mfa")
                        .setEncryptedInTransit(true));
        plant("privilege-escalation", principal.name());
        int exports = random.between(1, 3);
        for (int i = 0; i < exports; i++) {
            scenario.add(piiExport(principal.name(), principal.homeAddress(), "oidc"));
        }
    }

    private void unencryptedRead() {
        Principal principal = unlocked(random.pick(people));
        Dataset restricted = random.chance(0.5) ? DATASETS.get(5) : DATASETS.get(6);
        scenario.add(
                draft(principal.name(), AuditAction.DATA_READ, principal.homeAddress())
                        .setResource(restricted.resource())
                        .setDataClassification(restricted.classification())
                        .setAuthMethod("password")
                        .setEncryptedInTransit(false));
        plant("unencrypted-sensitive-transfer", principal.name());
    }

    private void exfiltration() {
        Principal principal = unlocked(random.pick(people));
        Dataset pii = random.chance(0.6) ? DATASETS.get(3) : DATASETS.get(4);
        scenario.add(
                draft(principal.name(), AuditAction.DATA_READ, principal.homeAddress())
                        .setResource(pii.resource())
                        .setDataClassification(pii.classification())
                        .setAuthMethod("oidc")
                        .setEncryptedInTransit(true));
        scenario.add(
                piiExport(principal.name(), principal.homeAddress(), "oidc")
                        .setDestination("https://files.partner-share.example/drop/" + emitted));
        plant("data-exfiltration", principal.name());
    }

    private void unapprovedModel() {
        Principal principal =
                random.chance(0.5) ? unlocked(random.pick(people)) : random.pick(services);
        SampleVocabulary.ModelSpec model = random.pick(SampleVocabulary.MODELS);
        scenario.add(
                invocation(principal, model.name(), model.versions().get(0) + UNAPPROVED_SUFFIX));
        plant("unapproved-model", principal.name());
    }

    private void tokenSpike() {
        List<Principal> ready = new ArrayList<>();
        for (Principal p : services) {
            if (invocations.getOrDefault(p.name(), 0) >= BASELINE_INVOCATIONS) {
                ready.add(p);
            }
        }
        if (ready.isEmpty()) {
            return;
        }
        Principal principal = random.pick(ready);
        SampleVocabulary.ModelSpec model = random.pick(SampleVocabulary.MODELS);
        for (int i = 0; i < 3; i++) {
            scenario.add(
                    invocation(principal, model.name(), model.versions().get(0))
                            .setTokens((long) random.between(40_000, 60_000)));
        }
        plant("denial-of-wallet", principal.name());
    }

    private void residency() {
        Principal principal = random.pick(services);
        SampleVocabulary.ModelSpec model =
                SampleVocabulary.MODELS.stream()
                        .filter(m -> m.name().equals(RESIDENT_MODEL))
                        .findFirst()
                        .orElseThrow();
        scenario.add(
                invocation(principal, model.name(), model.versions().get(0))
                        .setRegion(FOREIGN_REGION));
        plant("data-residency", principal.name());
    }

    private void afterHoursExport() {
        int hour = clock.peek().atZone(java.time.ZoneOffset.UTC).getHour();
        if (hour >= 6 && hour < 21) {
            return;
        }
        Principal principal = random.pick(services);
        for (int i = 0; i < 6; i++) {
            Dataset dataset = random.weighted(DATASETS, DATASET_WEIGHTS);
            scenario.add(
                    draft(principal.name(), AuditAction.DATA_EXPORT, principal.homeAddress())
                            .setResource(dataset.resource())
                            .setDataClassification(dataset.classification())
                            .setAuthMethod("mtls")
                            .setEncryptedInTransit(true)
                            .setDestination(INTERNAL_EXPORTS + "bulk/" + dataset.resource()));
        }
        plant("after-hours-bulk-export", principal.name());
    }

    private AuditEvent.Builder invocation(Principal principal, String model, String version) {
        return draft(principal.name(), AuditAction.MODEL_INVOKE, principal.homeAddress())
                .setResource("model/" + model)
                .setDataClassification(DataClassification.INTERNAL)
                .setModelVersion(version)
                .setAuthMethod(principal.service() ? "mtls" : "oidc")
                .setEncryptedInTransit(true)
                .setTokens((long) random.between(400, 1600));
    }

    private void plant(String policyId, String principal) {
        planted.add(new PlantedIncident(policyId, principal, clock.peek()));
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
                .setModelVersion(null)
                .setDestination(null)
                .setRegion(null)
                .setTokens(null);
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
