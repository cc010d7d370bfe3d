package dev.substrate.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import dev.substrate.events.KafkaHeader;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.schemas.wire.ConfluentWireFormat;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
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
    void goodRecordsComeOutRightWithWhereTheyCameFrom() throws Exception {
        try (EmbeddedSchemaRegistry registry = startRegistry(0)) {
            AvroWireEncoder encoder = register(registry);
            var schema = open(registry.url(), RetryPolicy.defaults());
            byte[] key = "node-4".getBytes(StandardCharsets.UTF_8);
            byte[] value = encoder.encode(TestSamples.sample(4));
            RecordHeaders headers = new RecordHeaders();
            headers.add("trace", "t-4".getBytes(StandardCharsets.UTF_8));
            headers.add("trace", null);

            List<Either<DeadLetter, Sourced<GpuSample>>> out = new ArrayList<>();
            schema.deserialize(
                    consumerRecord(3, 812L, key, value, headers), new ListCollector<>(out));

            assertThat(out).singleElement().satisfies(e -> assertThat(e.isRight()).isTrue());
            Sourced<GpuSample> sourced = out.get(0).right();
            assertThat(sourced.record()).isEqualTo(TestSamples.sample(4));
            assertThat(sourced.partition()).isEqualTo(3);
            assertThat(sourced.offset()).isEqualTo(812L);
            assertThat(sourced.timestamp()).isEqualTo(KAFKA_TIMESTAMP);
            assertThat(sourced.schemaId()).isEqualTo(encoder.schemaId());
            assertThat(sourced.key()).isEqualTo(key);
            assertThat(sourced.value()).isEqualTo(value);
            assertThat(sourced.headers())
                    .containsExactly(
                            new KafkaHeader(
                                    "trace",
                                    ByteBuffer.wrap("t-4".getBytes(StandardCharsets.UTF_8))),
                            new KafkaHeader("trace", null));
            assertThat(sourced.replayOf()).isNull();
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

            RecordHeaders headers = new RecordHeaders();
            headers.add("origin", "edge-7".getBytes(StandardCharsets.UTF_8));

            List<Either<DeadLetter, Sourced<GpuSample>>> out = new ArrayList<>();
            schema.deserialize(
                    consumerRecord(7, 1_234L, key, value, headers), new ListCollector<>(out));

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
            assertThat(dead.getOriginalHeaders())
                    .containsExactly(
                            new KafkaHeader(
                                    "origin",
                                    ByteBuffer.wrap("edge-7".getBytes(StandardCharsets.UTF_8))));
            assertThat(
                            counters.get(RegistryAwareDeserializationSchema.METRIC_DEAD_LETTERS)
                                    .getCount())
                    .isOne();
        }
    }

    @Test
    void tombstonesAreDeadLettersOfTheirOwnReasonNotGarbage() throws Exception {
        try (EmbeddedSchemaRegistry registry = startRegistry(0)) {
            var schema = open(registry.url(), RetryPolicy.defaults());

            List<Either<DeadLetter, Sourced<GpuSample>>> out = deserialize(schema, null);

            DeadLetter dead = out.get(0).left();
            assertThat(dead.getReason()).isEqualTo(DeadLetterReason.TOMBSTONE);
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
                open(
                        first.url(),
                        RetryPolicy.of(
                                Duration.ofMillis(20),
                                Duration.ofMillis(200),
                                0,
                                Duration.ofSeconds(30)));
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
            List<Either<DeadLetter, Sourced<GpuSample>>> out = deserialize(schema, value);

            assertThat(restarted).isDone();
            assertThat(out)
                    .singleElement()
                    .satisfies(
                            e -> assertThat(e.right().record()).isEqualTo(TestSamples.sample(1)));
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
    void anOutageLongerThanTheBoundFailsTheTaskNamingTheRegistryAndTheSchemaId() throws Exception {
        EmbeddedSchemaRegistry gone = startRegistry(0);
        byte[] value;
        int schemaId;
        try (gone) {
            AvroWireEncoder encoder = register(gone);
            value = encoder.encode(TestSamples.sample(1));
            schemaId = encoder.schemaId();
        }
        var schema = open(gone.url(), RetryPolicy.giveUpAfter(Duration.ofMillis(600)));
        List<Either<DeadLetter, Sourced<GpuSample>>> out = new ArrayList<>();
        long start = System.nanoTime();

        assertThatThrownBy(
                        () ->
                                schema.deserialize(
                                        consumerRecord(0, 5L, null, value, new RecordHeaders()),
                                        new ListCollector<>(out)))
                .isInstanceOf(SchemaRegistryOutageException.class)
                .hasMessageContaining("Schema registry " + gone.url() + " unavailable")
                .hasMessageContaining("with schema id " + schemaId)
                .hasMessageContaining(TOPIC + "-0@5")
                .hasMessageContaining("Is the registry up")
                .hasMessageContaining("restarts the job from its last checkpoint")
                .hasMessageContaining("registry.outage-timeout");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(tookMs).as("bounded by the policy").isBetween(550L, 5_000L);
        assertThat(out).as("nothing dead-lettered for an outage").isEmpty();
        // How many attempts fit in the bound depends on how long each refused connection takes
        // on a busy machine; that it tried again before giving up does not.
        assertThat(
                        counters.get(RegistryAwareDeserializationSchema.METRIC_REGISTRY_RETRIES)
                                .getCount())
                .isPositive();
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
                                new SourcedTypeInfo<>(new AvroTypeInfo<>(GpuSample.class))));
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

    private static List<Either<DeadLetter, Sourced<GpuSample>>> deserialize(
            RegistryAwareDeserializationSchema<GpuSample> schema, byte[] value) throws IOException {
        List<Either<DeadLetter, Sourced<GpuSample>>> out = new ArrayList<>();
        schema.deserialize(
                consumerRecord(0, 0L, null, value, new RecordHeaders()), new ListCollector<>(out));
        return out;
    }

    private static ConsumerRecord<byte[], byte[]> consumerRecord(
            int partition, long offset, byte[] key, byte[] value, RecordHeaders headers) {
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
                headers,
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
