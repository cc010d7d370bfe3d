package dev.substrate.local;

import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The latest event time the input topics hold, read from the last records of every partition: a
 * resumed local run starts its sample time after it, so that its new events are neither late nor
 * taken for the ones a run before it (crashed or not) already sent.
 */
final class InputEventTime {

    /** Records read from the end of each partition; sample events are in event-time order. */
    private static final int TAIL = 64;

    private InputEventTime() {}

    /** The latest event time in the topics of {@code types}. */
    static Optional<Instant> latest(
            String bootstrapServers, SchemaRegistryClient registry, List<EventType> types)
            throws SchemaRegistryException {
        Instant latest = null;
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        java.util.Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrapServers,
                                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                                false,
                                ConsumerConfig.CLIENT_ID_CONFIG,
                                "substrate-local-event-time"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            for (EventType type : types) {
                AvroWireDecoder<? extends SpecificRecord> decoder =
                        new AvroWireDecoder<>(registry, type.recordClass());
                int timestamp = type.schema().getField(type.timestampField()).pos();
                for (ConsumerRecord<byte[], byte[]> record : tail(consumer, type.topic())) {
                    if (record.value() == null) {
                        continue;
                    }
                    DecodeResult<? extends SpecificRecord> decoded = decoder.decode(record.value());
                    if (decoded.ok() && decoded.record().get(timestamp) instanceof Instant time) {
                        latest = latest == null || time.isAfter(latest) ? time : latest;
                    }
                }
            }
        }
        return Optional.ofNullable(latest);
    }

    private static List<ConsumerRecord<byte[], byte[]>> tail(
            KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        TopicScan.read(
                consumer, topic, range -> range.endOffset() - TAIL, range -> {}, records::add);
        return records;
    }
}
