package dev.substrate.collector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.TopicNameStrategy;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads back what a collector published, as the job would: every record of a topic, decoded through
 * the registry from the Confluent wire format, checked to be keyed by its GPU uuid and written with
 * the schema registered under the topic's subject.
 */
final class PublishedSamples {

    private PublishedSamples() {}

    /**
     * Every GpuSample on {@code topic}, in partition order; waits up to 30 s for {@code atLeast}.
     */
    static List<GpuSample> read(
            String bootstrapServers, String registryUrl, String topic, long atLeast)
            throws Exception {
        List<GpuSample> samples = new ArrayList<>();
        try (SchemaRegistryClient registry =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl));
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                Map.of(
                                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        bootstrapServers,
                                        ConsumerConfig.GROUP_ID_CONFIG,
                                        "collector-test-" + UUID.randomUUID(),
                                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                        "earliest",
                                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                        "read_committed"),
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer())) {
            int subjectSchemaId = registry.getLatest(TopicNameStrategy.valueSubject(topic)).id();
            AvroWireDecoder<GpuSample> decoder = new AvroWireDecoder<>(registry, GpuSample.class);
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long quietUntil = Long.MAX_VALUE;
            // Read until the expected count arrived and then nothing more for a second.
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(200))) {
                    DecodeResult<GpuSample> decoded = decoder.decode(record.value());
                    assertThat(decoded.ok()).as(decoded.message()).isTrue();
                    assertThat(decoded.schemaId()).isEqualTo(subjectSchemaId);
                    GpuSample sample = decoded.record();
                    assertThat(new String(record.key(), StandardCharsets.UTF_8))
                            .isEqualTo(sample.getGpuUuid());
                    samples.add(sample);
                }
                if (samples.size() >= atLeast && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                }
            }
        }
        return samples;
    }
}
