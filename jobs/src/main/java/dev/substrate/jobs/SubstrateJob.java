package dev.substrate.jobs;

import dev.substrate.jobs.config.SubstrateConfig;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import java.util.HashMap;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
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
        build(env, config, null);
        env.execute("substrate");
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
                                config.get(SubstrateOptions.DEAD_LETTER_TOPIC)));
        return ingest.addTo(env);
    }

    /** Settings every Substrate job runs with, whatever the cluster's defaults. */
    static void configureRuntime(StreamExecutionEnvironment env, Configuration config) {
        Configuration runtime = new Configuration();
        // State and records are Avro, POJOs or Flink types; a Kryo fallback is a bug.
        runtime.set(PipelineOptions.GENERIC_TYPES, false);
        runtime.set(PipelineOptions.OBJECT_REUSE, true);
        runtime.set(
                CheckpointingOptions.CHECKPOINTING_INTERVAL,
                config.get(SubstrateOptions.CHECKPOINT_INTERVAL));
        env.configure(runtime);
        env.setParallelism(config.get(SubstrateOptions.PARALLELISM));
    }

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
