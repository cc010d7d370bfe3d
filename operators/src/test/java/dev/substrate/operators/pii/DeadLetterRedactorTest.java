package dev.substrate.operators.pii;

import static dev.substrate.operators.testing.GovernanceFixtures.audit;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.KafkaHeader;
import dev.substrate.operators.testing.GovernanceFixtures;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.AvroWireEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadLetterRedactorTest {

    @TempDir static Path dir;

    private static EmbeddedSchemaRegistry registry;
    private static SchemaRegistryClient client;

    @BeforeAll
    static void start() throws Exception {
        registry = EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        registry.close();
    }

    @Test
    void decodableValuesAreReEncodedWithTokensUndecodableOnesKeepOnlyADigest() throws Exception {
        PiiKeySource keys = GovernanceFixtures.keyFile(dir);
        PiiTokenizer tokens = new PiiTokenizer(keys.load(Map.of()));
        AvroWireEncoder encoder =
                AvroWireEncoder.register(
                        client, EventType.AUDIT_EVENT.subject(), AuditEvent.getClassSchema());
        byte[] good = encoder.encode(audit("e1", "alice@example.com", "10.0.0.7", 1_000));
        byte[] truncated = Arrays.copyOf(good, good.length / 2);

        DeadLetterRedactor redactor =
                DeadLetterRedactor.forInputs(SchemaRegistryConfig.of(registry.url()), keys);
        assertThat(redactor.redactsAnything()).isTrue();
        try (OneInputStreamOperatorTestHarness<DeadLetter, DeadLetter> harness =
                new OneInputStreamOperatorTestHarness<>(new StreamMap<>(redactor))) {
            harness.open();
            harness.processElement(
                    new StreamRecord<>(
                            deadLetter(
                                    EventType.AUDIT_EVENT.topic(),
                                    good,
                                    DeadLetterReason.QUALITY_RULE_FAILED,
                                    "principal alice@example.com exported PII from 10.0.0.7")));
            harness.processElement(
                    new StreamRecord<>(
                            deadLetter(
                                    EventType.AUDIT_EVENT.topic(),
                                    truncated,
                                    DeadLetterReason.AVRO_DECODE_FAILED,
                                    "payload ends early")));
            harness.processElement(
                    new StreamRecord<>(
                            deadLetter(
                                    EventType.GPU_SAMPLE.topic(),
                                    truncated,
                                    DeadLetterReason.AVRO_DECODE_FAILED,
                                    "payload ends early")));

            // A quality rule's dead letter holds the frame as read, and the record's headers.
            DeadLetter refused =
                    deadLetter(
                            EventType.AUDIT_EVENT.topic(),
                            encoder.encode(audit("e2", "bob@example.com", "10.0.0.9", 1_000)),
                            DeadLetterReason.QUALITY_RULE_FAILED,
                            "rule principal_present with {principal=bob@example.com}");
            refused.setOriginalHeaders(
                    List.of(
                            GovernanceFixtures.header("user", "bob@example.com"),
                            new KafkaHeader("empty", null)));
            harness.processElement(new StreamRecord<>(refused));
            // Written before dead letters kept the frame: plain Avro, no header to decode by.
            byte[] plain = plainAvro(audit("e3", "carol@example.com", "10.0.0.10", 1_000));
            harness.processElement(
                    new StreamRecord<>(
                            deadLetter(
                                    EventType.AUDIT_EVENT.topic(),
                                    plain,
                                    DeadLetterReason.QUALITY_RULE_FAILED,
                                    "an old dead letter")));

            DeadLetter fromRule = harness.extractOutputValues().get(3);
            AuditEvent ruleRecord =
                    new AvroWireDecoder<>(client, AuditEvent.class)
                            .decode(bytes(fromRule.getOriginalValue()))
                            .record();
            assertThat(ruleRecord.getPrincipal().toString())
                    .isEqualTo(tokens.token("bob@example.com"));
            assertThat(fromRule.getMessage()).doesNotContain("bob@example.com");
            assertThat(fromRule.getOriginalHeaders())
                    .extracting(KafkaHeader::getKey)
                    .containsExactly("user", "empty");
            assertThat(new String(bytes(fromRule.getOriginalHeaders().get(0).getValue()), UTF_8))
                    .as("header values are tokenized")
                    .isEqualTo(tokens.token("bob@example.com"));
            assertThat(fromRule.getOriginalHeaders().get(1).getValue()).isNull();
            assertThat(refused.getOriginalHeaders().get(0).getValue())
                    .as("the Kafka topic's copy keeps the clear header")
                    .isEqualTo(ByteBuffer.wrap("bob@example.com".getBytes(UTF_8)));

            DeadLetter old = harness.extractOutputValues().get(4);
            assertThat(old.getOriginalValue()).as("not a frame: withheld").isNull();
            assertThat(old.getOriginalValueSha256()).isEqualTo(DeadLetterRedactor.sha256(plain));

            DeadLetter tokenized = harness.extractOutputValues().get(0);
            AuditEvent replayed =
                    new AvroWireDecoder<>(client, AuditEvent.class)
                            .decode(bytes(tokenized.getOriginalValue()))
                            .record();
            assertThat(replayed.getPrincipal().toString())
                    .isEqualTo(tokens.token("alice@example.com"));
            assertThat(replayed.getSourceAddress().toString()).isEqualTo(tokens.token("10.0.0.7"));
            assertThat(replayed.getEventId()).isEqualTo("e1");
            assertThat(new String(bytes(tokenized.getOriginalKey()), StandardCharsets.UTF_8))
                    .as("the key (the principal) gets the principal's token")
                    .isEqualTo(tokens.token("alice@example.com"));
            assertThat(tokenized.getMessage())
                    .doesNotContain("alice@example.com")
                    .doesNotContain("10.0.0.7")
                    .contains(tokens.token("alice@example.com"));
            assertThat(tokenized.getOriginalValueSha256()).isNull();

            DeadLetter withheld = harness.extractOutputValues().get(1);
            assertThat(withheld.getOriginalValue()).isNull();
            assertThat(withheld.getOriginalValueLength()).isEqualTo(truncated.length);
            assertThat(withheld.getOriginalValueSha256())
                    .isEqualTo(DeadLetterRedactor.sha256(truncated))
                    .hasSize(64);

            DeadLetter untouched = harness.extractOutputValues().get(2);
            assertThat(bytes(untouched.getOriginalValue())).isEqualTo(truncated);
            assertThat(untouched.getOriginalValueSha256()).isNull();
        }
    }

    private static DeadLetter deadLetter(
            String topic, byte[] value, DeadLetterReason reason, String message) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setSourcePartition(0)
                .setSourceOffset(7)
                .setSourceTimestamp(Instant.ofEpochMilli(1_000))
                .setDeadLetteredAt(Instant.ofEpochMilli(2_000))
                .setReason(reason)
                .setMessage(message)
                .setOriginalKey(
                        ByteBuffer.wrap("alice@example.com".getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(ByteBuffer.wrap(value))
                .build();
    }

    private static byte[] plainAvro(AuditEvent event) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
        new org.apache.avro.specific.SpecificDatumWriter<>(AuditEvent.class).write(event, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        byte[] out = new byte[view.remaining()];
        view.get(out);
        return out;
    }
}
