package dev.substrate.operators.pii;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.KafkaHeader;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.ConfluentWireFormat;
import dev.substrate.schemas.wire.MalformedFrameException;
import dev.substrate.schemas.wire.WireFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serial;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/**
 * Keeps PII out of the {@code dead_letters} table. For dead letters from a topic whose schema has
 * PII fields:
 *
 * <ul>
 *   <li>a value that decodes with its writer schema (e.g. a record refused by a quality rule) is
 *       re-encoded in the same wire format and schema id with every PII field tokenized;
 *   <li>a value that cannot be decoded cannot be tokenized: the table gets only its SHA-256 and
 *       length ({@code original_value_sha256}, {@code original_value_length}), never the bytes;
 *   <li>the Kafka key (the audit producer keys by principal) is replaced by its token, which equals
 *       the token of the same principal in the record;
 *   <li>header values, opaque bytes that may carry anything, are replaced by their tokens (the keys
 *       stay, so the table still shows which headers a record had);
 *   <li>clear values found in the record are replaced by their tokens in the message too.
 * </ul>
 *
 * Dead letters from topics without PII fields pass unchanged. The dead-letter Kafka topic is fed
 * before this function and keeps the original bytes for replay; restrict who may read it.
 */
public class DeadLetterRedactor extends RichMapFunction<DeadLetter, DeadLetter> {

    @Serial private static final long serialVersionUID = 1L;

    /** Counter of dead letters whose value was withheld (digest only). */
    public static final String METRIC_WITHHELD = "deadLetterValuesWithheld";

    /** Counter of dead letters whose value was re-encoded with tokens. */
    public static final String METRIC_TOKENIZED = "deadLetterValuesTokenized";

    private final Map<String, String> readerSchemaByTopic;
    private final SchemaRegistryConfig registry;
    private final PiiKeySource keySource;

    private transient SchemaRegistryClient client;
    private transient PiiTokenizer tokenizer;
    private transient Map<Integer, Schema> writers;
    private transient Map<String, List<String>> piiFieldsByTopic;
    private transient BinaryDecoder decoder;
    private transient Counter withheld;
    private transient Counter reencoded;

    /**
     * @param readerSchemaByTopic for each topic whose records have PII fields, the current (reader)
     *     schema of its records, as JSON
     */
    public DeadLetterRedactor(
            Map<String, String> readerSchemaByTopic,
            SchemaRegistryConfig registry,
            PiiKeySource keySource) {
        this.readerSchemaByTopic = new LinkedHashMap<>(readerSchemaByTopic);
        this.registry = Objects.requireNonNull(registry, "registry");
        this.keySource = Objects.requireNonNull(keySource, "keySource");
    }

    /** A redactor for the input topics of every {@link EventType} whose schema has PII fields. */
    public static DeadLetterRedactor forInputs(
            SchemaRegistryConfig registry, PiiKeySource keySource) {
        Map<String, String> schemas = new LinkedHashMap<>();
        for (EventType type : EventType.inputs()) {
            if (PiiFields.hasPii(type.schema())) {
                schemas.put(type.topic(), type.schema().toString());
            }
        }
        return new DeadLetterRedactor(schemas, registry, keySource);
    }

    /** Whether any topic needs redaction (when none, the function need not be added at all). */
    public boolean redactsAnything() {
        return !readerSchemaByTopic.isEmpty();
    }

    @Override
    public void open(OpenContext context) {
        writers = new java.util.HashMap<>();
        piiFieldsByTopic = new java.util.HashMap<>();
        readerSchemaByTopic.forEach(
                (topic, json) -> {
                    Schema reader = new Schema.Parser().parse(json);
                    piiFieldsByTopic.put(topic, PiiFields.of(reader));
                });
        if (!readerSchemaByTopic.isEmpty()) {
            tokenizer = new PiiTokenizer(keySource.load(System.getenv()));
            client = new SchemaRegistryClient(registry);
        }
        withheld = getRuntimeContext().getMetricGroup().counter(METRIC_WITHHELD);
        reencoded = getRuntimeContext().getMetricGroup().counter(METRIC_TOKENIZED);
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }

    @Override
    public DeadLetter map(DeadLetter deadLetter) throws IOException {
        List<String> piiFields = piiFieldsByTopic.get(deadLetter.getSourceTopic());
        if (piiFields == null) {
            return deadLetter;
        }
        DeadLetter redacted = DeadLetter.newBuilder(deadLetter).build();
        Map<String, String> replaced = new LinkedHashMap<>();
        ByteBuffer key = deadLetter.getOriginalKey();
        if (key != null) {
            byte[] clear = bytes(key);
            byte[] token = tokenizer.token(clear);
            redacted.setOriginalKey(ByteBuffer.wrap(token));
            replaced.put(
                    new String(clear, StandardCharsets.UTF_8),
                    new String(token, StandardCharsets.UTF_8));
        }
        ByteBuffer value = deadLetter.getOriginalValue();
        if (value != null) {
            // Every dead letter holds the Kafka value as read: a wire-format frame, or bad bytes.
            byte[] clear = bytes(value);
            byte[] tokenized = tokenizeValue(clear, piiFields, replaced);
            if (tokenized != null) {
                redacted.setOriginalValue(ByteBuffer.wrap(tokenized));
                reencoded.inc();
            } else {
                redacted.setOriginalValue(null);
                redacted.setOriginalValueSha256(sha256(clear));
                redacted.setOriginalValueLength(clear.length);
                withheld.inc();
            }
        }
        List<KafkaHeader> headers = deadLetter.getOriginalHeaders();
        if (headers != null && !headers.isEmpty()) {
            List<KafkaHeader> tokenized = new ArrayList<>(headers.size());
            for (KafkaHeader header : headers) {
                ByteBuffer clear = header.getValue();
                tokenized.add(
                        new KafkaHeader(
                                header.getKey(),
                                clear == null
                                        ? null
                                        : ByteBuffer.wrap(tokenizer.token(bytes(clear)))));
            }
            redacted.setOriginalHeaders(tokenized);
        }
        redacted.setMessage(scrub(deadLetter.getMessage(), replaced));
        return redacted;
    }

    /** The same frame with PII tokenized, or null when the value does not decode. */
    private byte[] tokenizeValue(byte[] value, List<String> readerPii, Map<String, String> replaced)
            throws IOException {
        WireFrame frame;
        try {
            frame = ConfluentWireFormat.parse(value);
        } catch (MalformedFrameException e) {
            return null;
        }
        Schema writer = writer(frame.schemaId());
        if (writer == null || writer.getType() != Schema.Type.RECORD) {
            return null;
        }
        GenericRecord record =
                decode(frame.buffer(), frame.payloadOffset(), frame.payloadLength(), writer);
        if (record == null) {
            return null;
        }
        new RecordTokenizer(writer, piiNames(writer, readerPii), tokenizer)
                .tokenize(record, replaced);
        return ConfluentWireFormat.frame(frame.schemaId(), encode(record, writer));
    }

    private GenericRecord decode(byte[] buffer, int offset, int length, Schema schema) {
        try {
            decoder = DecoderFactory.get().binaryDecoder(buffer, offset, length, decoder);
            GenericRecord record =
                    new GenericDatumReader<GenericRecord>(schema).read(null, decoder);
            return decoder.isEnd() ? record : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static byte[] encode(GenericRecord record, Schema schema) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private Schema writer(int schemaId) throws IOException {
        if (writers.containsKey(schemaId)) {
            return writers.get(schemaId);
        }
        Schema schema;
        try {
            schema = client.getSchemaById(schemaId);
        } catch (SchemaRegistryException e) {
            if (e.isRetryable()) {
                // Not bad data: fail the task so it retries from the checkpoint, rather than
                // withholding a value that could have been tokenized.
                throw new IOException(
                        "Schema registry unavailable while redacting a dead letter: "
                                + e.getMessage(),
                        e);
            }
            schema = null;
        }
        writers.put(schemaId, schema);
        return schema;
    }

    /** The reader's PII names plus any the writer schema marks itself. */
    private static List<String> piiNames(Schema writer, List<String> readerPii) {
        Set<String> names = new LinkedHashSet<>(readerPii);
        for (Schema.Field field : writer.getFields()) {
            if (PiiFields.isMarked(field)) {
                names.add(field.name());
            }
        }
        return new ArrayList<>(names);
    }

    private static String scrub(String message, Map<String, String> replaced) {
        String out = message;
        for (Map.Entry<String, String> e : replaced.entrySet()) {
            if (!e.getKey().isEmpty()) {
                out = out.replace(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException("SHA-256 unavailable", e));
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        byte[] out = new byte[view.remaining()];
        view.get(out);
        return out;
    }
}
