package dev.substrate.jobs;

import dev.substrate.events.GpuSample;
import dev.substrate.jobs.config.SubstrateConfig;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.GovernanceSettings;
import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.jobs.telemetry.FleetHealthOptions;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.jobs.telemetry.TelemetryWindowsOptions;
import dev.substrate.jobs.telemetry.TelemetryWindowsStage;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sources.kafka.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

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
        build(env, config, null);
        env.execute("substrate");
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
     * Adds every stage to {@code env}, configured by {@code config}.
     *
     * @param stoppingOffsets where the sources stop, for a bounded run; null to run forever
     */
    public static IngestStage.Output build(
            StreamExecutionEnvironment env,
            Configuration config,
            @Nullable OffsetsInitializer stoppingOffsets) {
        configureRuntime(env, config);
        IngestStage ingest =
                new IngestStage(
                        new IngestStage.IngestSettings(
                                config.get(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS),
                                SchemaRegistryConfig.fromEnvironment(
                                        config.get(SubstrateOptions.REGISTRY_URL)),
                                config.get(SubstrateOptions.KAFKA_GROUP_ID),
                                startingOffsets(config),
                                stoppingOffsets,
                                catalog(config),
                                config.get(SubstrateOptions.DEAD_LETTER_TOPIC),
                                GovernanceSettings.from(config),
                                RetryPolicy.giveUpAfter(
                                        config.get(SubstrateOptions.REGISTRY_OUTAGE_TIMEOUT))));
        IngestStage.Output ingested = ingest.addTo(env);
        addTelemetry(gpuSamples(ingested), config);
        return ingested;
    }

    /**
     * The telemetry stages on the governed GPU samples: per-GPU windows with node and cluster
     * rollups, and fleet health (node health, anomalies, cluster capacity).
     */
    static void addTelemetry(DataStream<GpuSample> samples, Configuration config) {
        String bootstrap = config.get(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS);
        SchemaRegistryConfig registry =
                SchemaRegistryConfig.fromEnvironment(config.get(SubstrateOptions.REGISTRY_URL));
        LakeCatalogConfig lake = catalog(config);
        new TelemetryWindowsStage(
                        TelemetryWindowsOptions.settings(config, lake, bootstrap, registry))
                .addTo(samples);
        new FleetHealthStage(
                        FleetHealthOptions.settings(
                                config,
                                lake,
                                FleetHealthOptions.kafka(config, bootstrap, registry)))
                .addTo(samples);
    }

    @SuppressWarnings("unchecked")
    private static DataStream<GpuSample> gpuSamples(IngestStage.Output ingested) {
        return (DataStream<GpuSample>) ingested.events().get(EventType.GPU_SAMPLE);
    }

    /**
     * Every Kafka topic the job reads or writes with {@code config}: the input topics, dead letters
     * and every stage's outputs, so that a local run or a test can create them up front.
     */
    public static List<String> topics(Configuration config) {
        List<String> topics = new ArrayList<>();
        for (EventType type : EventType.inputs()) {
            topics.add(type.topic());
        }
        topics.add(config.get(SubstrateOptions.DEAD_LETTER_TOPIC));
        topics.addAll(outputTopics(config));
        return topics;
    }

    /** The Kafka topics the job writes besides dead letters, so a local run can create them. */
    public static List<String> outputTopics(Configuration config) {
        return List.of(
                config.get(TelemetryWindowsOptions.TOPIC),
                config.get(FleetHealthOptions.NODE_HEALTH_TOPIC),
                config.get(FleetHealthOptions.ANOMALY_TOPIC),
                config.get(FleetHealthOptions.CAPACITY_TOPIC));
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

    static OffsetsInitializer startingOffsets(Configuration config) {
        return switch (config.get(SubstrateOptions.KAFKA_STARTING_OFFSETS)) {
            case COMMITTED_OR_EARLIEST ->
                    OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
        };
    }

    /** The {@code catalog.*} options, handed to the Iceberg catalog. */
    public static LakeCatalogConfig catalog(Configuration config) {
        Map<String, String> properties = new HashMap<>();
        properties.put(
                SubstrateOptions.CATALOG_TYPE.key(), config.get(SubstrateOptions.CATALOG_TYPE));
        properties.put(
                SubstrateOptions.CATALOG_WAREHOUSE.key(),
                config.get(SubstrateOptions.CATALOG_WAREHOUSE));
        config.toMap()
                .forEach(
                        (key, value) -> {
                            if (key.startsWith("catalog.")) {
                                properties.put(key, value);
                            }
                        });
        return LakeCatalogConfig.fromProperties(properties);
    }
}
