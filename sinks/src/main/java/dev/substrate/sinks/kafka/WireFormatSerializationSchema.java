package dev.substrate.sinks.kafka;

import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.registry.TopicNameStrategy;
import dev.substrate.schemas.wire.AvroWireEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Writes Avro records to one Kafka topic in the Confluent wire format, registering their schema
 * under the topic's value subject once, when the writer opens, with each record's id in the header
 * {@value KafkaOutputSink#RECORD_ID_HEADER}. Built by {@link KafkaOutputSink}.
 */
final class WireFormatSerializationSchema<T extends SpecificRecord>
        implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final String schemaJson;
    private final SchemaRegistryConfig registry;
    private final SerializableFunction<T, String> keyOf;
    private final SerializableFunction<T, String> recordId;

    private transient SchemaRegistryClient client;
    private transient AvroWireEncoder encoder;

    /**
     * @param keyOf the Kafka key of a record (keeps one entity's records in order), or a function
     *     returning null for no key
     * @param recordId the record's deterministic id
     */
    WireFormatSerializationSchema(
            String topic,
            Schema schema,
            SchemaRegistryConfig registry,
            SerializableFunction<T, String> keyOf,
            SerializableFunction<T, String> recordId) {
        this.topic = topic;
        this.schemaJson = schema.toString();
        this.registry = registry;
        this.keyOf = keyOf;
        this.recordId = recordId;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext)
            throws SchemaRegistryException {
        client = new SchemaRegistryClient(registry);
        encoder =
                AvroWireEncoder.register(
                        client,
                        TopicNameStrategy.valueSubject(topic),
                        new Schema.Parser().parse(schemaJson));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            T record, KafkaSinkContext context, Long timestamp) {
        String key = keyOf.apply(record);
        return new ProducerRecord<>(
                topic,
                null,
                timestamp,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                encoder.encode(record),
                List.of(
                        new RecordHeader(
                                KafkaOutputSink.RECORD_ID_HEADER,
                                recordId.apply(record).getBytes(StandardCharsets.UTF_8))));
    }
}
