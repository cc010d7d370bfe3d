package dev.substrate.sources.kafka;

import dev.substrate.events.DeadLetter;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.Sourced;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.types.Either;

/**
 * Builds the Kafka source of one {@link EventType}: its topic, decoded through the schema registry
 * into {@code Either<DeadLetter, Sourced<T>>} (split with {@link DeadLetterSplitter}).
 *
 * <pre>{@code
 * KafkaSource<Either<DeadLetter, Sourced<GpuSample>>> source = EventKafkaSource.build(
 *         EventType.GPU_SAMPLE, GpuSample.class, "127.0.0.1:9092",
 *         SchemaRegistryConfig.fromEnvironment(registryUrl), "substrate-ingest",
 *         OffsetsInitializer.earliest(), null);
 * env.fromSource(source, watermarks, "gpu-samples");
 * }</pre>
 */
public final class EventKafkaSource {

    private EventKafkaSource() {}

    /**
     * As {@link #build(EventType, Class, String, SchemaRegistryConfig, String, OffsetsInitializer,
     * OffsetsInitializer, RetryPolicy)} with {@link RetryPolicy#defaults()}.
     */
    public static <T extends SpecificRecord> KafkaSource<Either<DeadLetter, Sourced<T>>> build(
            EventType type,
            Class<T> recordClass,
            String bootstrapServers,
            SchemaRegistryConfig registry,
            String groupId,
            OffsetsInitializer start,
            OffsetsInitializer stopAt) {
        return build(
                type,
                recordClass,
                bootstrapServers,
                registry,
                groupId,
                start,
                stopAt,
                RetryPolicy.defaults());
    }

    /**
     * @param stopAt where to stop (a bounded source, for tests and backfills), or null to run
     *     unbounded
     */
    public static <T extends SpecificRecord> KafkaSource<Either<DeadLetter, Sourced<T>>> build(
            EventType type,
            Class<T> recordClass,
            String bootstrapServers,
            SchemaRegistryConfig registry,
            String groupId,
            OffsetsInitializer start,
            OffsetsInitializer stopAt,
            RetryPolicy retry) {
        if (!type.recordClass().equals(recordClass)) {
            throw new IllegalArgumentException(
                    type
                            + " carries "
                            + type.recordClass().getName()
                            + ", not "
                            + recordClass.getName());
        }
        KafkaSourceBuilder<Either<DeadLetter, Sourced<T>>> builder =
                KafkaSource.<Either<DeadLetter, Sourced<T>>>builder()
                        .setBootstrapServers(bootstrapServers)
                        .setTopics(type.topic())
                        .setGroupId(groupId)
                        .setClientIdPrefix(groupId + "-" + type.tableName())
                        .setStartingOffsets(start)
                        .setDeserializer(
                                new RegistryAwareDeserializationSchema<>(
                                        recordClass, registry, retry))
                        // Offsets are committed on checkpoints so lag is visible to Kafka tools;
                        // Flink's own checkpointed offsets stay the source of truth.
                        .setProperty("commit.offsets.on.checkpoint", "true")
                        .setProperty("partition.discovery.interval.ms", "60000");
        if (stopAt != null) {
            builder.setBounded(stopAt);
        }
        return builder.build();
    }
}
