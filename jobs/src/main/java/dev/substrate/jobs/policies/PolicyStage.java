package dev.substrate.jobs.policies;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.PolicyViolation;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.policies.ModelApproval;
import dev.substrate.operators.policies.ModelApprovalFunction;
import dev.substrate.operators.policies.Policy;
import dev.substrate.operators.policies.PolicyDetector;
import dev.substrate.operators.policies.PolicyFile;
import dev.substrate.operators.policies.PolicySignal;
import dev.substrate.operators.policies.PolicySignals;
import dev.substrate.operators.policies.PolicyTemplate;
import dev.substrate.schemas.RecordIds;
import dev.substrate.sinks.kafka.KafkaOutputSink;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * The policy stage: security and governance violations detected with Flink CEP over audit events,
 * GPU samples and scheduling decisions, as the policy file describes them, written to the {@code
 * policy_violations} table and a Kafka topic.
 *
 * <pre>
 *  AuditEvent ─────────┐
 *  GpuSample ──────────┼─► PolicySignal ─► one chain per policy (PolicyDetector) ─► PolicyViolation ─┬─► policy_violations
 *  SchedulingDecision ─┘   (event time     filter ─ keyBy ─ CEP policy-&lt;id&gt;-v&lt;n&gt; ─ cool-down      └─► substrate.policy-violations
 *  model registry topic ──── broadcast ──► (unapproved-model policy)
 * </pre>
 *
 * <p>Event time is the job's: the ingest assigned it once; the CEP operators buffer events until
 * the watermark passes, so events out of order within the watermark bound give the same violations
 * as ordered ones. Usage:
 *
 * <pre>{@code
 * PolicyStage.Output policies =
 *         new PolicyStage(PolicyStage.Settings.from(config, context))
 *                 .addTo(new PolicyStage.Inputs(ingest.auditEvents(), ingest.gpuSamples(), decisions, null));
 * }</pre>
 *
 * <p>Operator uids (stable, for savepoints): {@code policy-signals-audit}, {@code
 * policy-signals-gpu}, {@code policy-signals-decisions}, {@code policy-model-registry} (and {@code
 * policy-model-registry-snapshot}, the registry as it stood at start), per policy {@code
 * policy-<id>-v<version>} and its {@code -reads}, {@code -registry}, {@code -baseline}, {@code
 * -late}, {@code -cooldown}; {@code lake-policy_violations}, {@code kafka-policy_violations}.
 * Raising a policy's version gives its operators new uids: after stop-with-savepoint, restore with
 * {@code --allowNonRestoredState} and only that policy starts fresh.
 */
public final class PolicyStage {

    public static final String VIOLATIONS_TABLE = "policy_violations";

    private final Settings settings;

    public PolicyStage(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * What the stage reads, in the job's event time.
     *
     * @param decisions the scheduler's decisions; null while the job has no scheduling stage (the
     *     quota-abuse and lost-GPU policies then see no decisions)
     * @param registry the model registry's changes; null reads the registry topic of the settings
     */
    public record Inputs(
            DataStream<AuditEvent> audits,
            DataStream<GpuSample> samples,
            @Nullable DataStream<SchedulingDecision> decisions,
            @Nullable DataStream<ModelApproval> registry) {

        public Inputs {
            Objects.requireNonNull(audits, "audits");
            Objects.requireNonNull(samples, "samples");
        }
    }

    /** Adds the stage behind {@code inputs}. */
    public Output addTo(Inputs inputs) {
        TypeInformation<PolicySignal> signalType = TypeInformation.of(PolicySignal.class);
        DataStream<PolicySignal> signals =
                inputs.audits()
                        .map(PolicySignals::of)
                        .returns(signalType)
                        .uid("policy-signals-audit")
                        .name("policy signals: audit events")
                        .union(
                                inputs.samples()
                                        .map(PolicySignals::of)
                                        .returns(signalType)
                                        .uid("policy-signals-gpu")
                                        .name("policy signals: GPU samples"));
        if (inputs.decisions() != null) {
            signals =
                    signals.union(
                            inputs.decisions()
                                    .flatMap(
                                            (SchedulingDecision d, Collector<PolicySignal> out) ->
                                                    PolicySignals.of(d).forEach(out::collect))
                                    .returns(signalType)
                                    .uid("policy-signals-decisions")
                                    .name("policy signals: scheduling decisions"));
        }
        DataStream<ModelApproval> registry = inputs.registry();
        if (registry == null && settings.needsRegistry()) {
            registry =
                    registryStream(
                            inputs.audits().getExecutionEnvironment(),
                            Objects.requireNonNull(
                                    settings.registry(),
                                    "the policies need the model registry topic"));
        }
        PolicyDetector.Detection detection =
                PolicyDetector.builder()
                        .policies(settings.policies())
                        .registry(registry)
                        .tokenBaseline(settings.tokenBaseline())
                        .build()
                        .addTo(signals);
        DataStream<PolicyViolation> violations = detection.violations();
        if (settings.catalog() != null) {
            // Violations are few: one writer, fewer small files.
            IcebergLakeSink.append(
                    violations,
                    settings.catalog(),
                    new LakeTableSpec(
                            VIOLATIONS_TABLE,
                            PolicyViolation.getClassSchema(),
                            "last_event_at",
                            "policy_id"),
                    IcebergLakeSink.LOW_VOLUME_WRITERS);
        }
        if (settings.violationOutput() != null) {
            settings.violationOutput().writeFrom(violations, "kafka-" + VIOLATIONS_TABLE);
        }
        return new Output(violations, detection.late());
    }

    /**
     * The registry's changes: the topic read up to the end offsets it has at start, whose watermark
     * stays back until it has ended, so no invocation is judged by a registry still loading; then,
     * unless the run is bounded, the topic read on from its beginning (records read twice change
     * nothing) with a watermark that no longer holds event time back.
     */
    private static DataStream<ModelApproval> registryStream(
            StreamExecutionEnvironment env, ModelRegistryTopic topic) {
        DataStream<ModelApproval> snapshot =
                env.fromSource(
                                topic.snapshotSource(),
                                ModelApprovalFunction.registryWatermarks(),
                                "model registry at start")
                        .uid(
                                topic.bounded()
                                        ? "policy-model-registry"
                                        : "policy-model-registry-snapshot")
                        .setParallelism(1);
        if (topic.bounded()) {
            return snapshot;
        }
        return snapshot.union(
                env.fromSource(
                                topic.source(),
                                ModelApprovalFunction.liveRegistryWatermarks(),
                                "model registry")
                        .uid("policy-model-registry")
                        .setParallelism(1));
    }

    /**
     * What the stage detects and where it writes.
     *
     * @param policies the policy file's policies (at least one)
     * @param registrySource the model registry topic; null when no policy needs it or in tests that
     *     hand the registry in through {@link Inputs}
     * @param catalog the lake catalog for {@code policy_violations}; null writes no table (tests)
     * @param violationOutput the violations topic, or null (tests)
     */
    public record Settings(
            List<Policy> policies,
            PolicyDetector.TokenBaseline tokenBaseline,
            @Nullable ModelRegistryTopic registry,
            @Nullable LakeCatalogConfig catalog,
            @Nullable KafkaOutputSink<PolicyViolation> violationOutput) {

        public Settings {
            policies = List.copyOf(policies);
            Objects.requireNonNull(tokenBaseline, "tokenBaseline");
            if (policies.isEmpty()) {
                throw new IllegalArgumentException("The policy stage needs at least one policy");
            }
        }

        /** The settings of {@code config} ({@link PolicyOptions}) in {@code context}. */
        public static Settings from(ReadableConfig config, StageContext context) {
            List<Policy> policies = PolicyFile.load(config.get(PolicyOptions.FILE));
            return new Settings(
                    policies,
                    PolicyOptions.tokenBaseline(config),
                    new ModelRegistryTopic(
                            context.kafkaBootstrapServers(),
                            config.get(PolicyOptions.MODEL_REGISTRY_TOPIC),
                            context.jobName() + "-model-registry",
                            false),
                    context.lake(),
                    context.<PolicyViolation>kafkaOutput(
                                    PolicyViolation.getClassSchema(),
                                    config.get(PolicyOptions.VIOLATIONS_TOPIC))
                            .key(PolicyViolation::getViolationId)
                            .recordId(RecordIds::of)
                            .build());
        }

        /** The same detection, writing neither the table nor the topic (tests). */
        public Settings withoutSinks() {
            return new Settings(policies, tokenBaseline, registry, null, null);
        }

        /**
         * The same stage for a bounded run: the registry is read up to the offsets it has at start,
         * so the job can finish.
         */
        public Settings bounded() {
            return new Settings(
                    policies,
                    tokenBaseline,
                    registry == null ? null : registry.boundedAtStart(),
                    catalog,
                    violationOutput);
        }

        /** Whether a policy needs the model registry. */
        boolean needsRegistry() {
            return policies.stream().anyMatch(p -> p.template() == PolicyTemplate.UNAPPROVED_MODEL);
        }

        /** The Kafka topics the stage writes: the violations. */
        public List<String> topics() {
            List<String> topics = new ArrayList<>();
            if (violationOutput != null) {
                topics.add(violationOutput.topic());
            }
            return topics;
        }

        /**
         * The Kafka topics the stage reads besides the job's inputs: the model registry, created
         * with the others so that a fresh run can start before anyone approves a model.
         */
        public List<String> readTopics() {
            return registry != null && needsRegistry() ? List.of(registry.topic()) : List.of();
        }
    }

    /** The violations, and the signals the policies' CEP operators found late (counted). */
    public record Output(
            DataStream<PolicyViolation> violations, DataStream<PolicySignal> lateSignals) {}
}
