package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.CompatibilityLevel;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.testkit.GpuSamples;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decoder against a real (embedded) registry: evolution, every dead-letter reason, caching. */
class AvroWireDecoderTest {

    private static final String SUBJECT = EventType.GPU_SAMPLE.subject();

    @TempDir static Path stateDir;
    private static EmbeddedSchemaRegistry registry;
    private static SchemaRegistryClient producerClient;
    private static AvroWireEncoder v1Encoder;
    private static AvroWireEncoder currentEncoder;

    private CountingClient consumerClient;
    private AvroWireDecoder<GpuSample> decoder;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
        producerClient = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
        v1Encoder = AvroWireEncoder.register(producerClient, SUBJECT, GpuSamples.v1());
        currentEncoder =
                AvroWireEncoder.register(producerClient, SUBJECT, GpuSample.getClassSchema());
    }

    @AfterAll
    static void stopRegistry() {
        producerClient.close();
        registry.close();
    }

    @BeforeEach
    void newConsumer() {
        // A fresh client per test: its cache starts cold, as in a newly started task.
        consumerClient = new CountingClient(SchemaRegistryConfig.of(registry.url()));
        decoder = new AvroWireDecoder<>(consumerClient, GpuSample.class);
    }

    @Test
    void decodesCurrentRecords() throws Exception {
        GpuSample sample = GpuSamples.current(1);

        DecodeResult<GpuSample> result = decoder.decode(currentEncoder.encode(sample));

        assertThat(result.ok()).isTrue();
        assertThat(result.record()).isEqualTo(sample);
        assertThat(result.schemaId()).isEqualTo(currentEncoder.schemaId());
        assertThat(result.failure()).isNull();
    }

    @Test
    void decodesV1RecordsIntoTheCurrentClassWithDefaults() throws Exception {
        DecodeResult<GpuSample> result = decoder.decode(v1Encoder.encode(GpuSamples.v1Record(2)));

        assertThat(result.ok()).isTrue();
        assertThat(result.schemaId())
                .isEqualTo(v1Encoder.schemaId())
                .isNotEqualTo(currentEncoder.schemaId());
        assertThat(result.record().getEventId()).isEqualTo("evt-v1-2");
        assertThat(result.record().getTimestamp()).isEqualTo(GpuSamples.T0.plusMillis(2));
        assertThat(result.record().getPowerLimitW()).isNull();
        assertThat(result.record().getMigProfile()).isNull();
    }

    @Test
    void notWireFormat() throws Exception {
        for (byte[] value :
                new byte[][] {
                    new byte[0],
                    new byte[] {0, 0, 1},
                    "{\"event_id\":\"x\"}".getBytes(StandardCharsets.UTF_8)
                }) {
            DecodeResult<GpuSample> result = decoder.decode(value);

            assertThat(result.ok()).isFalse();
            assertThat(result.failure()).isEqualTo(DeadLetterReason.NOT_WIRE_FORMAT);
            assertThat(result.schemaId()).isNull();
            assertThat(result.message()).isNotBlank();
        }
        assertThat(consumerClient.schemaByIdCalls.get()).isZero();
    }

    @Test
    void aTombstoneIsItsOwnReasonNotBadBytes() throws Exception {
        DecodeResult<GpuSample> result = decoder.decode(null);

        assertThat(result.ok()).isFalse();
        assertThat(result.failure()).isEqualTo(DeadLetterReason.TOMBSTONE);
        assertThat(result.schemaId()).isNull();
        assertThat(result.message()).contains("tombstone");
        assertThat(consumerClient.schemaByIdCalls.get()).isZero();
    }

    @Test
    void unknownSchemaId() throws Exception {
        byte[] payload = Arrays.copyOfRange(currentEncoder.encode(GpuSamples.current(0)), 5, 100);

        DecodeResult<GpuSample> result =
                decoder.decode(ConfluentWireFormat.frame(987_654, payload));

        assertThat(result.failure()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA_ID);
        assertThat(result.schemaId()).isEqualTo(987_654);
        assertThat(result.message()).contains("987654").contains("not registered");
    }

    @Test
    void truncatedPayloadFailsToDecode() throws Exception {
        byte[] full = currentEncoder.encode(GpuSamples.current(0));

        DecodeResult<GpuSample> result = decoder.decode(Arrays.copyOf(full, full.length - 7));

        assertThat(result.failure()).isEqualTo(DeadLetterReason.AVRO_DECODE_FAILED);
        assertThat(result.schemaId()).isEqualTo(currentEncoder.schemaId());
        assertThat(result.message())
                .contains("schema id " + currentEncoder.schemaId())
                .contains("EOFException");
    }

    @Test
    void trailingBytesFailToDecode() throws Exception {
        byte[] full = currentEncoder.encode(GpuSamples.current(0));

        DecodeResult<GpuSample> result = decoder.decode(Arrays.copyOf(full, full.length + 3));

        assertThat(result.failure()).isEqualTo(DeadLetterReason.AVRO_DECODE_FAILED);
        assertThat(result.message()).contains("trailing bytes");
    }

    @Test
    void garbageWithAHugeLengthFailsWithoutAllocatingIt() throws Exception {
        // First field (event_id) claims to be a 1.5 GB string: must not reach the allocator.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        encoder.writeLong(1_500_000_000L);
        encoder.writeFixed(new byte[] {1, 2, 3, 4});
        encoder.flush();

        DecodeResult<GpuSample> result =
                decoder.decode(
                        ConfluentWireFormat.frame(currentEncoder.schemaId(), out.toByteArray()));

        assertThat(result.failure()).isEqualTo(DeadLetterReason.AVRO_DECODE_FAILED);
        assertThat(result.message()).contains("1500000000").contains("bytes left");
    }

    @Test
    void randomGarbageNeverThrows() throws Exception {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 2_000; i++) {
            byte[] payload = new byte[random.nextInt(200)];
            random.nextBytes(payload);

            DecodeResult<GpuSample> result =
                    decoder.decode(ConfluentWireFormat.frame(currentEncoder.schemaId(), payload));

            if (!result.ok()) {
                assertThat(result.failure()).isEqualTo(DeadLetterReason.AVRO_DECODE_FAILED);
            }
        }
    }

    @Test
    void aSchemaOfAnotherRecordTypeCannotBeResolved() throws Exception {
        Schema other =
                new Schema.Parser()
                        .parse(
                                "{\"type\":\"record\",\"name\":\"Heartbeat\",\"namespace\":\"x\","
                                        + "\"fields\":[{\"name\":\"seq\",\"type\":\"long\"}]}");
        AvroWireEncoder otherEncoder =
                AvroWireEncoder.register(producerClient, "heartbeats-value", other);
        GenericRecord heartbeat = new GenericData.Record(other);
        heartbeat.put("seq", 7L);

        DecodeResult<GpuSample> first = decoder.decode(otherEncoder.encode(heartbeat));
        DecodeResult<GpuSample> second = decoder.decode(otherEncoder.encode(heartbeat));

        assertThat(first.failure()).isEqualTo(DeadLetterReason.SCHEMA_RESOLUTION_FAILED);
        assertThat(first.schemaId()).isEqualTo(otherEncoder.schemaId());
        assertThat(first.message())
                .contains("schema id " + otherEncoder.schemaId())
                .contains("x.Heartbeat")
                .contains("dev.substrate.events.GpuSample");
        assertThat(second).isEqualTo(first);
        assertThat(consumerClient.schemaByIdCalls.get()).isOne();
    }

    @Test
    void anIncompatibleVersionOfTheSameRecordCannotBeResolved() throws Exception {
        // gpu_index as a string: a type change no registry-compatible evolution allows.
        String json =
                GpuSamples.v1()
                        .toString()
                        .replace(
                                "{\"name\":\"gpu_index\",\"type\":\"int\"",
                                "{\"name\":\"gpu_index\",\"type\":\"string\"");
        Schema broken = new Schema.Parser().parse(json);
        assertThat(broken.getField("gpu_index").schema().getType()).isEqualTo(Schema.Type.STRING);
        producerClient.setCompatibility("broken-gpu-samples-value", CompatibilityLevel.NONE);
        AvroWireEncoder brokenEncoder =
                AvroWireEncoder.register(producerClient, "broken-gpu-samples-value", broken);
        GenericRecord record = GpuSamples.v1Record(0);
        GenericRecord brokenRecord = new GenericData.Record(broken);
        for (Schema.Field f : broken.getFields()) {
            brokenRecord.put(f.name(), record.get(f.name()));
        }
        brokenRecord.put("gpu_index", "three");

        DecodeResult<GpuSample> result = decoder.decode(brokenEncoder.encode(brokenRecord));

        assertThat(result.failure()).isEqualTo(DeadLetterReason.SCHEMA_RESOLUTION_FAILED);
        assertThat(result.message()).contains("gpu_index").contains("TYPE_MISMATCH");
    }

    @Test
    void refusedCredentialsAreRetriedNotDeadLettered() throws Exception {
        SchemaRegistryClient unauthorized =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url())) {
                    @Override
                    public Schema getSchemaById(int id) throws SchemaRegistryException {
                        throw new SchemaRegistryException("Unauthorized", 401, 40101);
                    }
                };
        AvroWireDecoder<GpuSample> decoder = new AvroWireDecoder<>(unauthorized, GpuSample.class);

        assertThatThrownBy(() -> decoder.decode(ConfluentWireFormat.frame(5, new byte[] {0, 8, 1})))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class, e -> assertThat(e.isRetryable()).isTrue())
                .hasMessageContaining("HTTP 401")
                .hasMessageContaining("SUBSTRATE_REGISTRY_BASIC_AUTH");
    }

    @Test
    void aNonAvroSchemaIdCannotBeResolved() throws Exception {
        SchemaRegistryClient protobufOnly =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url())) {
                    @Override
                    public Schema getSchemaById(int id) throws SchemaRegistryException {
                        throw new SchemaRegistryException(
                                "schema id " + id + " is a PROTOBUF schema; only AVRO is supported",
                                200,
                                -1);
                    }
                };
        AvroWireDecoder<GpuSample> avroOnly = new AvroWireDecoder<>(protobufOnly, GpuSample.class);

        DecodeResult<GpuSample> result =
                avroOnly.decode(ConfluentWireFormat.frame(31, new byte[] {0, 8, 1}));

        assertThat(result.failure()).isEqualTo(DeadLetterReason.SCHEMA_RESOLUTION_FAILED);
        assertThat(result.schemaId()).isEqualTo(31);
        assertThat(result.message()).contains("PROTOBUF");
    }

    @Test
    void fetchesEachWriterSchemaOnceForThousandsOfRecords() throws Exception {
        for (int i = 0; i < 1_000; i++) {
            assertThat(decoder.decode(currentEncoder.encode(GpuSamples.current(i))).ok()).isTrue();
        }
        assertThat(consumerClient.schemaByIdCalls.get()).isOne();

        for (int i = 0; i < 1_000; i++) {
            assertThat(decoder.decode(v1Encoder.encode(GpuSamples.v1Record(i))).ok()).isTrue();
        }
        assertThat(consumerClient.schemaByIdCalls.get()).isEqualTo(2);
    }

    @Test
    void anUnreachableRegistryThrowsARetryableException(@TempDir Path otherState) throws Exception {
        EmbeddedSchemaRegistry doomed = EmbeddedSchemaRegistry.start(otherState, "127.0.0.1", 0);
        String url = doomed.url();
        int id;
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
            id = client.register(SUBJECT, GpuSample.getClassSchema());
        }
        doomed.close();
        AvroWireEncoder encoder = AvroWireEncoder.forSchemaId(id, GpuSample.getClassSchema());
        AvroWireDecoder<GpuSample> orphan =
                new AvroWireDecoder<>(
                        new SchemaRegistryClient(
                                SchemaRegistryConfig.of(url).withTimeout(Duration.ofSeconds(2))),
                        GpuSample.class);

        assertThatThrownBy(() -> orphan.decode(encoder.encode(GpuSamples.current(0))))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class, e -> assertThat(e.isRetryable()).isTrue());
    }

    /** Counts the decoder's schema lookups, whether or not the client answers from its cache. */
    private static final class CountingClient extends SchemaRegistryClient {
        final AtomicInteger schemaByIdCalls = new AtomicInteger();

        CountingClient(SchemaRegistryConfig config) {
            super(config);
        }

        @Override
        public Schema getSchemaById(int id) throws SchemaRegistryException {
            schemaByIdCalls.incrementAndGet();
            return super.getSchemaById(id);
        }
    }
}
