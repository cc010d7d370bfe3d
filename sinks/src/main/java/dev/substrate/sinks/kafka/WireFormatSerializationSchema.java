package dev.substrate.sinks.kafka;

import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.registry.TopicNameStrategy;
import dev.substrate.schemas.wire.AvroWireEncoder;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes Avro records to one Kafka topic in the Confluent wire format, registering their schema
 * under the topic's value subject once, when the writer opens.
 */
public final class WireFormatSerializationSchema<T extends SpecificRecord>
        implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final String schemaJson;
    private final SchemaRegistryConfig registry;
    private final SerializableFunction<T, String> keyOf;

    private transient SchemaRegistryClient client;
    private transient AvroWireEncoder encoder;

    /**
     * @param keyOf the Kafka key of a record (keeps one entity's records in order), or a function
     *     returning null for no key
     */
    public WireFormatSerializationSchema(
            String topic,
            Schema schema,
            SchemaRegistryConfig registry,
            SerializableFunction<T, String> keyOf) {
        this.topic = topic;
        this.schemaJson = schema.toString();
        this.registry = registry;
        this.keyOf = keyOf;
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
                encoder.encode(record));
    }

    /** Convenience for {@code keyOf} when records need no key. */
    public static <T> SerializableFunction<T, String> noKey() {
        return record -> null;
    }
}
