package dev.substrate.jobs.ingest;

import dev.substrate.events.DeadLetter;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.kafka.DeadLetterKafkaSink;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sources.kafka.DeadLetterSplitter;
import dev.substrate.sources.kafka.EventKafkaSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The ingest stage: every input topic is decoded by schema id into the current schema and lands in
 * its raw lake table; every record that cannot be decoded becomes a dead letter.
 *
 * <pre>
 *  substrate.gpu-samples ─────────► decode ─► gpu_samples
 *  substrate.workload-requests ───► decode ─► workload_requests
 *  substrate.audit-events ────────► decode ─► audit_events
 *  substrate.enterprise-events ───► decode ─► enterprise_events
 *                                     │
 *                                     └─ bad input ─► DeadLetter ─┬─► dead_letters (Iceberg)
 *                                                                 └─► substrate.dead-letters (Kafka)
 * </pre>
 */
public final class IngestStage {

    private final IngestSettings settings;

    public IngestStage(IngestSettings settings) {
        this.settings = settings;
    }

    /** Adds the stage to {@code env} and returns its decoded streams for later stages. */
    public Output addTo(StreamExecutionEnvironment env) {
        Map<EventType, DataStream<? extends SpecificRecordBase>> events = new LinkedHashMap<>();
        List<DataStream<DeadLetter>> deadLetters = new ArrayList<>();
        for (EventType type : EventType.inputs()) {
            SingleOutputStreamOperator<? extends SpecificRecordBase> decoded =
                    decode(env, type, recordClass(type));
            events.put(type, decoded);
            deadLetters.add(decoded.getSideOutput(DeadLetterSplitter.DEAD_LETTERS));
        }
        DataStream<DeadLetter> allDeadLetters = deadLetters.get(0);
        for (int i = 1; i < deadLetters.size(); i++) {
            allDeadLetters = allDeadLetters.union(deadLetters.get(i));
        }
        for (var entry : events.entrySet()) {
            appendToLake(entry.getValue(), entry.getKey());
        }
        appendToLake(allDeadLetters, EventType.DEAD_LETTER);
        DeadLetterKafkaSink.sendTo(
                allDeadLetters,
                settings.bootstrapServers(),
                settings.deadLetterTopic(),
                settings.registry());
        return new Output(events, allDeadLetters);
    }

    private <T extends SpecificRecordBase> SingleOutputStreamOperator<T> decode(
            StreamExecutionEnvironment env, EventType type, Class<T> recordClass) {
        String name = type.tableName();
        return env.fromSource(
                        EventKafkaSource.build(
                                type,
                                recordClass,
                                settings.bootstrapServers(),
                                settings.registry(),
                                settings.groupId(),
                                settings.startingOffsets(),
                                settings.stoppingOffsets()),
                        WatermarkStrategy.noWatermarks(),
                        "kafka: " + type.topic())
                .uid("source-" + name)
                .process(new DeadLetterSplitter<T>())
                .returns(new AvroTypeInfo<>(recordClass))
                .uid("decode-" + name)
                .name("decode " + type.topic());
    }

    private <T extends SpecificRecordBase> void appendToLake(DataStream<T> stream, EventType type) {
        IcebergLakeSink.append(
                stream,
                settings.catalog(),
                new LakeTableSpec(
                        type.tableName(),
                        type.schema(),
                        type.timestampField(),
                        type.partitionField()));
    }

    @SuppressWarnings("unchecked")
    private static Class<SpecificRecordBase> recordClass(EventType type) {
        return (Class<SpecificRecordBase>) type.recordClass();
    }

    /** What the stage reads from and writes to. */
    public record IngestSettings(
            String bootstrapServers,
            SchemaRegistryConfig registry,
            String groupId,
            OffsetsInitializer startingOffsets,
            @Nullable OffsetsInitializer stoppingOffsets,
            LakeCatalogConfig catalog,
            String deadLetterTopic) {}

    /** The decoded events per type, and every dead letter, for the stages that follow. */
    public record Output(
            Map<EventType, DataStream<? extends SpecificRecordBase>> events,
            DataStream<DeadLetter> deadLetters) {}
}
