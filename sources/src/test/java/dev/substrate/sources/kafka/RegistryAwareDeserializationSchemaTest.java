package dev.substrate.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.schemas.wire.ConfluentWireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.types.Either;
import org.apache.flink.util.UserCodeClassLoader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryAwareDeserializationSchemaTest {

    private static final String TOPIC = EventType.GPU_SAMPLE.topic();
    private static final long KAFKA_TIMESTAMP = 1_764_152_130_250L;

    @TempDir Path stateDir;

    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    @Test
    void goodRecordsComeOutRight() throws Exception {
        try (EmbeddedSchemaRegistry registry = startRegistry(0)) {
            AvroWireEncoder encoder = register(registry);
            var schema = open(registry.url(), RetryPolicy.defaults());

            List<Either<DeadLetter, GpuSample>> out =
                    deserialize(schema, encoder.encode(TestSamples.sample(4)));

            assertThat(out)
                    .singleElement()
                    .satisfies(e -> assertThat(e.right()).isEqualTo(TestSamples.sample(4)));
            assertThat(
                            counters.get(RegistryAwareDeserializationSchema.METRIC_DEAD_LETTERS)
                                    .getCount())
                    .isZero();
        }
    }

    @Test
    void badRecordsBecomeDeadLettersWithTheirOrigin() throws Exception {
        try (EmbeddedSchemaRegistry registry = startRegistry(0)) {
            register(registry);
            var schema = open(registry.url(), RetryPolicy.defaults());
            byte[] key = "node-3".getBytes(StandardCharsets.UTF_8);
            byte[] value = ConfluentWireFormat.frame(424_242, new byte[] {2, 'x'});
            Instant before = Instant.now();

            List<Either<DeadLetter, GpuSample>> out = new ArrayList<>();
            schema.deserialize(consumerRecord(7, 1_234L, key, value), new ListCollector<>(out));

            assertThat(out).singleElement().satisfies(e -> assertThat(e.isLeft()).isTrue());
            DeadLetter dead = out.get(0).left();
            assertThat(dead.getSourceTopic()).isEqualTo(TOPIC);
            assertThat(dead.getSourcePartition()).isEqualTo(7);
            assertThat(dead.getSourceOffset()).isEqualTo(1_234L);
            assertThat(dead.getSourceTimestamp()).isEqualTo(Instant.ofEpochMilli(KAFKA_TIMESTAMP));
            assertThat(dead.getDeadLetteredAt()).isBetween(before, Instant.now());
            assertThat(dead.getSchemaId()).isEqualTo(424_242);
            assertThat(dead.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA_ID);
            assertThat(dead.getMessage()).contains("424242");
            assertThat(dead.getOriginalKey()).isEqualTo(ByteBuffer.wrap(key));
            assertThat(dead.getOriginalValue()).isEqualTo(ByteBuffer.wrap(value));
            assertThat(
                            counters.get(RegistryAwareDeserializationSchema.METRIC_DEAD_LETTERS)
                                    .getCount())
                    .isOne();
        }
    }

    @Test
    void tombstonesAreNotWireFormat() throws Exception {
        try (EmbeddedSchemaRegistry registry = startRegistry(0)) {
            var schema = open(registry.url(), RetryPolicy.defaults());

            List<Either<DeadLetter, GpuSample>> out = deserialize(schema, null);

            DeadLetter dead = out.get(0).left();
            assertThat(dead.getReason()).isEqualTo(DeadLetterReason.NOT_WIRE_FORMAT);
            assertThat(dead.getSchemaId()).isNull();
            assertThat(dead.getOriginalValue()).isNull();
            assertThat(dead.getMessage()).contains("tombstone");
        }
    }

    @Test
    void waitsForTheRegistryToComeBackAndNeverDeadLetters() throws Exception {
        EmbeddedSchemaRegistry first = startRegistry(0);
        int port = first.port();
        byte[] value;
        try (first) {
            value = register(first).encode(TestSamples.sample(1));
        }
        var schema =
                open(first.url(), RetryPolicy.of(Duration.ofMillis(20), Duration.ofMillis(200), 0));
        CompletableFuture<EmbeddedSchemaRegistry> restarted =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                Thread.sleep(1_000);
                                return startRegistry(port);
                            } catch (Exception e) {
                                throw new RuntimeException(e);
                            }
                        });
        try {
            List<Either<DeadLetter, GpuSample>> out = deserialize(schema, value);

            assertThat(restarted).isDone();
            assertThat(out)
                    .singleElement()
                    .satisfies(e -> assertThat(e.right()).isEqualTo(TestSamples.sample(1)));
            assertThat(
                            counters.get(RegistryAwareDeserializationSchema.METRIC_REGISTRY_RETRIES)
                                    .getCount())
                    .isGreaterThanOrEqualTo(3);
            assertThat(
                            counters.get(RegistryAwareDeserializationSchema.METRIC_DEAD_LETTERS)
                                    .getCount())
                    .isZero();
        } finally {
            restarted.get().close();
        }
    }

    @Test
    void failsTheTaskWhenAttemptsRunOutRatherThanDeadLettering() throws Exception {
        EmbeddedSchemaRegistry gone = startRegistry(0);
        byte[] value;
        try (gone) {
            value = register(gone).encode(TestSamples.sample(1));
        }
        var schema =
                open(gone.url(), RetryPolicy.of(Duration.ofMillis(10), Duration.ofMillis(10), 3));
        List<Either<DeadLetter, GpuSample>> out = new ArrayList<>();

        assertThatThrownBy(
                        () ->
                                schema.deserialize(
                                        consumerRecord(0, 5L, null, value),
                                        new ListCollector<>(out)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("after 3 attempts")
                .hasMessageContaining(TOPIC + "-0@5");
        assertThat(out).isEmpty();
        assertThat(
                        counters.get(RegistryAwareDeserializationSchema.METRIC_REGISTRY_RETRIES)
                                .getCount())
                .isEqualTo(3);
    }

    @Test
    void producesAvroTypesOnBothSides() {
        var schema =
                new RegistryAwareDeserializationSchema<>(
                        GpuSample.class,
                        SchemaRegistryConfig.of("http://127.0.0.1:1"),
                        RetryPolicy.defaults());

        assertThat(schema.getProducedType())
                .isEqualTo(
                        new EitherTypeInfo<>(
                                new AvroTypeInfo<>(DeadLetter.class),
                                new AvroTypeInfo<>(GpuSample.class)));
    }

    private EmbeddedSchemaRegistry startRegistry(int port) throws IOException {
        return EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", port);
    }

    private static AvroWireEncoder register(EmbeddedSchemaRegistry registry) throws Exception {
        try (SchemaRegistryClient client =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            return AvroWireEncoder.register(
                    client, EventType.GPU_SAMPLE.subject(), GpuSample.getClassSchema());
        }
    }

    private RegistryAwareDeserializationSchema<GpuSample> open(String url, RetryPolicy retry)
            throws Exception {
        var schema =
                new RegistryAwareDeserializationSchema<>(
                        GpuSample.class,
                        SchemaRegistryConfig.of(url).withTimeout(Duration.ofSeconds(2)),
                        retry);
        schema.open(new TestContext());
        return schema;
    }

    private static List<Either<DeadLetter, GpuSample>> deserialize(
            RegistryAwareDeserializationSchema<GpuSample> schema, byte[] value) throws IOException {
        List<Either<DeadLetter, GpuSample>> out = new ArrayList<>();
        schema.deserialize(consumerRecord(0, 0L, null, value), new ListCollector<>(out));
        return out;
    }

    private static ConsumerRecord<byte[], byte[]> consumerRecord(
            int partition, long offset, byte[] key, byte[] value) {
        return new ConsumerRecord<>(
                TOPIC,
                partition,
                offset,
                KAFKA_TIMESTAMP,
                TimestampType.CREATE_TIME,
                key == null ? -1 : key.length,
                value == null ? -1 : value.length,
                key,
                value,
                new RecordHeaders(),
                Optional.empty());
    }

    /** Hands the schema a metric group that keeps its counters for the assertions. */
    private final class TestContext implements DeserializationSchema.InitializationContext {
        @Override
        public MetricGroup getMetricGroup() {
            return new UnregisteredMetricsGroup() {
                @Override
                public Counter counter(String name) {
                    return counter(name, new org.apache.flink.metrics.SimpleCounter());
                }

                @Override
                public <C extends Counter> C counter(String name, C counter) {
                    counters.put(name, counter);
                    return counter;
                }
            };
        }

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            throw new UnsupportedOperationException();
        }
    }
}
