package dev.substrate.jobs;

import dev.substrate.jobs.config.SubstrateConfig;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.jobs.policies.PolicyOptions;
import dev.substrate.jobs.policies.PolicyStage;
import dev.substrate.jobs.scheduling.SchedulingOptions;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.jobs.telemetry.TelemetryWindowsStage;
import dev.substrate.jobs.vectors.DeadLetterDocuments;
import dev.substrate.jobs.vectors.EnterpriseEventDocuments;
import dev.substrate.jobs.vectors.GpuAnomalyDocuments;
import dev.substrate.jobs.vectors.NodeHealthDocuments;
import dev.substrate.jobs.vectors.PolicyViolationDocuments;
import dev.substrate.jobs.vectors.SchedulingDecisionDocuments;
import dev.substrate.jobs.vectors.VectorDocumentsStage;
import dev.substrate.schemas.EventType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Substrate job: all stages composed into one Flink job. This is the main class of the job jar
 * submitted to a cluster; the local runner builds the same job through {@link #build}.
 *
 * <pre>
 * flink run -c dev.substrate.jobs.SubstrateJob substrate-jobs-job.jar \
 *     --kafka.bootstrap-servers kafka:9092 --registry.url http://registry:8081 \
 *     --catalog.type rest --catalog.uri http://polaris:8181/api/catalog --catalog.warehouse lake
 * </pre>
 */
public final class SubstrateJob {

    private SubstrateJob() {}

    public static void main(String[] args) throws Exception {
        Configuration config = SubstrateConfig.resolve(new Configuration(), System.getenv(), args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        requireDurableCheckpoints(env.getConfiguration());
        FreshStartGuard.check(config, env.getConfiguration());
        build(env, config, null);
        env.execute(config.get(SubstrateOptions.JOB_NAME));
    }

    /**
     * Refuses to start without a checkpoint directory. Flink's fallback keeps checkpoints in the
     * JobManager's memory, which refuses state over 5 MiB: the dedup state of a million event ids
     * is larger, so the job would fail its first big checkpoint and loop restoring it.
     *
     * @param effective the cluster's configuration merged with the job's arguments
     */
    static void requireDurableCheckpoints(ReadableConfig effective) {
        if (effective.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
            throw new IllegalStateException(
                    "No checkpoint directory: set "
                            + CheckpointingOptions.CHECKPOINTS_DIRECTORY.key()
                            + " in the cluster's config.yaml (deploy/flink/config.yaml does) or"
                            + " pass --"
                            + CheckpointingOptions.CHECKPOINTS_DIRECTORY.key()
                            + " s3://bucket/substrate/checkpoints to the job. Without it Flink"
                            + " keeps checkpoints in JobManager memory, which refuses the"
                            + " deduplication state once it passes 5 MiB.");
        }
    }

    /**
     * Adds every stage to {@code env}, configured by {@code config}: the pipeline's table of
     * contents. Each stage takes its settings from the configuration and the shared {@link
     * StageContext}, its typed inputs from the stages before it, and returns its typed outputs for
     * the stages after it.
     *
     * @param stoppingOffsets where the sources stop, for a bounded run; null to run forever
     */
    public static Pipeline build(
            StreamExecutionEnvironment env,
            Configuration config,
            @Nullable OffsetsInitializer stoppingOffsets) {
        configureRuntime(env, config);
        Stages stages = Stages.of(config);

        IngestStage.Output ingest =
                new IngestStage(stages.ingest().stoppingAt(stoppingOffsets)).addTo(env);
        TelemetryWindowsStage.Output windows =
                new TelemetryWindowsStage(stages.windows()).addTo(ingest.gpuSamples());
        FleetHealthStage.Output fleet =
                new FleetHealthStage(stages.fleet()).addTo(ingest.gpuSamples());
        SchedulingStage.Output scheduling = null;
        if (stages.scheduling() != null) {
            scheduling =
                    new SchedulingStage(stages.scheduling())
                            .addTo(
                                    ingest.workloadRequests(),
                                    fleet.nodeHealth(),
                                    fleet.capacity(),
                                    ingest.gpuSamples());
        }

        PolicyStage.Output policies = null;
        if (stages.policies() != null) {
            PolicyStage.Settings policySettings =
                    stoppingOffsets == null ? stages.policies() : stages.policies().bounded();
            policies =
                    new PolicyStage(policySettings)
                            .addTo(
                                    new PolicyStage.Inputs(
                                            ingest.auditEvents(),
                                            ingest.gpuSamples(),
                                            scheduling == null ? null : scheduling.decisions(),
                                            null));
        }

        // A kind of document is a mapper and a line here.
        VectorDocumentsStage.Documents documents =
                VectorDocumentsStage.documents()
                        .from(fleet.nodeHealth(), new NodeHealthDocuments())
                        .from(fleet.anomalies(), new GpuAnomalyDocuments())
                        .from(ingest.enterpriseEvents(), new EnterpriseEventDocuments())
                        .from(ingest.deadLetters(), new DeadLetterDocuments());
        if (scheduling != null) {
            documents.from(scheduling.decisions(), new SchedulingDecisionDocuments());
        }
        if (policies != null) {
            documents.from(policies.violations(), new PolicyViolationDocuments());
        }
        VectorDocumentsStage.Output vectors =
                new VectorDocumentsStage(stages.vectors()).addTo(documents);

        return new Pipeline(ingest, windows, fleet, scheduling, policies, vectors);
    }

    /**
     * What every stage of the job produced, for a caller that adds more.
     *
     * @param scheduling null when {@code scheduling.enabled} is false
     * @param policies null when {@code policies.enabled} is false
     */
    public record Pipeline(
            IngestStage.Output ingest,
            TelemetryWindowsStage.Output windows,
            FleetHealthStage.Output fleet,
            @Nullable SchedulingStage.Output scheduling,
            @Nullable PolicyStage.Output policies,
            VectorDocumentsStage.Output vectors) {}

    /** Every stage's settings for one configuration: where {@link #topics} are derived from. */
    private record Stages(
            IngestStage.Settings ingest,
            TelemetryWindowsStage.Settings windows,
            FleetHealthStage.Settings fleet,
            @Nullable SchedulingStage.Settings scheduling,
            @Nullable PolicyStage.Settings policies,
            VectorDocumentsStage.Settings vectors) {

        static Stages of(Configuration config) {
            StageContext context = StageContext.from(config);
            return new Stages(
                    IngestStage.Settings.from(config, context),
                    TelemetryWindowsStage.Settings.from(config, context),
                    FleetHealthStage.Settings.from(config, context),
                    config.get(SchedulingOptions.ENABLED)
                            ? SchedulingStage.Settings.from(config, context)
                            : null,
                    config.get(PolicyOptions.ENABLED)
                            ? PolicyStage.Settings.from(config, context)
                            : null,
                    VectorDocumentsStage.Settings.from(config, context));
        }

        /** The topics the stages write, in pipeline order. */
        List<String> outputs() {
            List<String> topics = new ArrayList<>();
            topics.addAll(ingest.topics());
            topics.addAll(windows.topics());
            topics.addAll(fleet.topics());
            if (scheduling != null) {
                topics.addAll(scheduling.topics());
            }
            if (policies != null) {
                topics.addAll(policies.topics());
            }
            topics.addAll(vectors.topics());
            return topics;
        }
    }

    /**
     * Every Kafka topic the job reads or writes with {@code config}: the input topics and every
     * stage's outputs (dead letters included), so that a local run or a test can create them up
     * front.
     */
    public static List<String> topics(Configuration config) {
        List<String> topics = new ArrayList<>();
        for (EventType type : EventType.inputs()) {
            topics.add(type.topic());
        }
        Stages stages = Stages.of(config);
        if (stages.policies() != null) {
            topics.addAll(stages.policies().readTopics());
        }
        topics.addAll(stages.outputs());
        return topics;
    }

    /** The Kafka topics the stages write (dead letters included). */
    public static List<String> outputTopics(Configuration config) {
        return Stages.of(config).outputs();
    }

    /**
     * Settings every Substrate job runs with, whatever the cluster's defaults; and a restart
     * strategy when neither the job's options nor the environment (the cluster's config.yaml)
     * configure one.
     */
    static void configureRuntime(StreamExecutionEnvironment env, Configuration config) {
        Configuration runtime = new Configuration();
        // State and records are Avro, POJOs or Flink types; a Kryo fallback is a bug.
        runtime.set(PipelineOptions.GENERIC_TYPES, false);
        runtime.set(PipelineOptions.OBJECT_REUSE, true);
        runtime.set(
                CheckpointingOptions.CHECKPOINTING_INTERVAL,
                config.get(SubstrateOptions.CHECKPOINT_INTERVAL));
        if (config.getOptional(RestartStrategyOptions.RESTART_STRATEGY).isEmpty()
                && env.getConfiguration()
                        .getOptional(RestartStrategyOptions.RESTART_STRATEGY)
                        .isEmpty()) {
            defaultRestartStrategy(runtime);
        }
        env.configure(runtime);
        env.setParallelism(config.get(SubstrateOptions.PARALLELISM));
    }

    /**
     * Exponential back-off from 1 s to 1 min (with jitter), for at most {@value #RESTART_ATTEMPTS}
     * restarts in a row, counted afresh after 10 minutes without a failure. A failure that a
     * restart cures (a registry outage longer than registry.outage-timeout, a broker failing over)
     * is restarted from the last checkpoint, losing nothing; one that keeps coming back fails the
     * job after about 15 minutes with its cause, instead of a restart loop.
     */
    static void defaultRestartStrategy(Configuration runtime) {
        runtime.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        runtime.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
                Duration.ofSeconds(1));
        runtime.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF,
                Duration.ofMinutes(1));
        runtime.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
        runtime.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD,
                Duration.ofMinutes(10));
        runtime.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR, 0.1);
        runtime.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS,
                RESTART_ATTEMPTS);
    }

    /** Restarts in a row before the default restart strategy gives up. */
    static final int RESTART_ATTEMPTS = 20;
}
