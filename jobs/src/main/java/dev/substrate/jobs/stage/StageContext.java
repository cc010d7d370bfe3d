package dev.substrate.jobs.stage;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.kafka.KafkaOutputSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * What every stage shares: the Kafka cluster, the schema registry, the lake's catalog, and how
 * Kafka outputs deliver. Built once per job from its configuration ({@link #from}) and handed to
 * each stage's {@code Settings.from(config, context)}.
 *
 * @param jobName names the job's Kafka transactions (exactly-once outputs) apart from other jobs'
 */
public record StageContext(
        String kafkaBootstrapServers,
        SchemaRegistryConfig registry,
        LakeCatalogConfig lake,
        DeliveryGuarantee outputDelivery,
        String jobName) {

    public StageContext {
        Objects.requireNonNull(kafkaBootstrapServers, "kafkaBootstrapServers");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(lake, "lake");
        Objects.requireNonNull(outputDelivery, "outputDelivery");
        Objects.requireNonNull(jobName, "jobName");
    }

    /** The context of a job configured by {@code config} ({@link SubstrateOptions}). */
    public static StageContext from(ReadableConfig config) {
        return new StageContext(
                config.get(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS),
                SchemaRegistryConfig.fromEnvironment(config.get(SubstrateOptions.REGISTRY_URL)),
                catalog(config),
                config.get(SubstrateOptions.KAFKA_OUTPUT_DELIVERY),
                config.get(SubstrateOptions.JOB_NAME));
    }

    /**
     * A Kafka output to {@code topic} on this job's cluster and registry, with the job's delivery
     * guarantee; the stage adds the key and the record id.
     */
    public <T extends SpecificRecord> KafkaOutputSink.Builder<T> kafkaOutput(
            Schema schema, String topic) {
        return KafkaOutputSink.<T>builder(schema)
                .bootstrapServers(kafkaBootstrapServers)
                .registry(registry)
                .topic(topic)
                .delivery(outputDelivery)
                .transactionalIdPrefix(jobName);
    }

    /** The {@code catalog.*} options, handed to the Iceberg catalog. */
    public static LakeCatalogConfig catalog(ReadableConfig config) {
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
