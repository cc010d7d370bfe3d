package dev.substrate.bench;

import dev.substrate.events.DeadLetter;
import dev.substrate.jobs.config.EventTimeOptions;
import dev.substrate.jobs.ingest.GovernanceSettings;
import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import dev.substrate.sources.kafka.DeadLetterSplitter;
import dev.substrate.sources.kafka.EventKafkaSource;
import javax.annotation.Nullable;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;

/**
 * An input topic read and decoded as {@code IngestStage} reads it, for the benchmarks' own jobs:
 * the registry-aware Kafka source, the ingest's per-partition watermarks generated in the source
 * ({@link IngestStage#watermarks} with the {@link EventTimeOptions} of the given configuration:
 * bounded out-of-orderness, idleness, future-skew guard), dead letters split off, the records
 * without their provenance. The ingest's governance after decoding (lateness, dedup, quality rules,
 * PII tokens, raw tables) is not in this path.
 */
final class IngestSources {

    private IngestSources() {}

    /**
     * The decoded records of {@code type}'s topic.
     *
     * @param eventTime where the {@link EventTimeOptions} are read from
     * @param stopAt where the source stops, or null to read on forever
     */
    static <T extends SpecificRecordBase> DataStream<T> decoded(
            StreamExecutionEnvironment env,
            EventType type,
            Class<T> recordClass,
            String bootstrap,
            String registryUrl,
            String groupId,
            ReadableConfig eventTime,
            OffsetsInitializer startAt,
            @Nullable OffsetsInitializer stopAt) {
        WatermarkStrategy<Either<DeadLetter, Sourced<T>>> watermarks =
                IngestStage.watermarks(type, GovernanceSettings.from(eventTime));
        AvroTypeInfo<T> typeInfo = new AvroTypeInfo<>(recordClass);
        return env.fromSource(
                        EventKafkaSource.build(
                                type,
                                recordClass,
                                bootstrap,
                                SchemaRegistryConfig.of(registryUrl),
                                groupId,
                                startAt,
                                stopAt),
                        watermarks,
                        "kafka: " + type.topic())
                .process(new DeadLetterSplitter<Sourced<T>>())
                .returns(new SourcedTypeInfo<>(typeInfo))
                .name("decode " + type.topic())
                .map(Sourced::record)
                .returns(typeInfo)
                .name("records " + type.topic());
    }
}
