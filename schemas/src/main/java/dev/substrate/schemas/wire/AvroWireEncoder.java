package dev.substrate.schemas.wire;

import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Encodes records of one writer schema in the Confluent wire format under a registry subject. The
 * schema id is resolved once when the encoder is created; {@link #encode} makes no registry calls.
 * Not thread-safe: it reuses one buffer and encoder; use one instance per thread.
 *
 * <pre>{@code
 * AvroWireEncoder encoder = AvroWireEncoder.register(client, "substrate.gpu-samples-value",
 *         GpuSample.getClassSchema());
 * byte[] value = encoder.encode(sample);
 * }</pre>
 */
public final class AvroWireEncoder {

    private static final byte[] HEADER_PLACEHOLDER = new byte[ConfluentWireFormat.HEADER_SIZE];

    private final Schema writerSchema;
    private final long writerFingerprint;
    private final int schemaId;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    private BinaryEncoder encoder;
    private DatumWriter<Object> specificWriter;
    private Class<?> specificWriterClass;
    private DatumWriter<Object> genericWriter;
    // The last record schema found to match the writer schema, so the check runs once per instance.
    private Schema lastAcceptedSchema;

    private AvroWireEncoder(Schema writerSchema, int schemaId) {
        this.writerSchema = writerSchema;
        this.writerFingerprint = SchemaNormalization.parsingFingerprint64(writerSchema);
        this.schemaId = schemaId;
        this.lastAcceptedSchema = writerSchema;
    }

    /**
     * Registers {@code writerSchema} under {@code subject} (or finds its id when it is already
     * registered) and returns an encoder for it.
     */
    public static AvroWireEncoder register(
            SchemaRegistryClient client, String subject, Schema writerSchema)
            throws SchemaRegistryException {
        Objects.requireNonNull(writerSchema, "writerSchema");
        int id = client.register(Objects.requireNonNull(subject, "subject"), writerSchema);
        return new AvroWireEncoder(writerSchema, id);
    }

    /** An encoder for a schema whose id is already known (no registry access at all). */
    public static AvroWireEncoder forSchemaId(int schemaId, Schema writerSchema) {
        return new AvroWireEncoder(Objects.requireNonNull(writerSchema, "writerSchema"), schemaId);
    }

    public int schemaId() {
        return schemaId;
    }

    public Schema writerSchema() {
        return writerSchema;
    }

    /**
     * Encodes a generated specific record or a {@link org.apache.avro.generic.GenericRecord} whose
     * schema is the writer schema. Logical types may be given as their Java types ({@code Instant})
     * or as their underlying Avro values.
     *
     * @throws IllegalArgumentException when the record's schema is not the writer schema (compared
     *     in parsing canonical form)
     */
    public byte[] encode(IndexedRecord record) {
        Objects.requireNonNull(record, "record");
        checkSchema(record.getSchema());
        buffer.reset();
        // Reserve the header, patched in below, so the payload is written only once.
        buffer.write(HEADER_PLACEHOLDER, 0, HEADER_PLACEHOLDER.length);
        encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
        try {
            writerFor(record).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode record with schema id " + schemaId, e);
        }
        byte[] framed = buffer.toByteArray();
        ConfluentWireFormat.writeHeader(schemaId, framed);
        return framed;
    }

    private void checkSchema(Schema recordSchema) {
        if (recordSchema == lastAcceptedSchema) {
            return;
        }
        // Parsing canonical form: docs and properties such as avro.java.string do not change the
        // binary layout, so a generated class matches the same schema read from a .avsc file.
        if (SchemaNormalization.parsingFingerprint64(recordSchema) != writerFingerprint) {
            throw new IllegalArgumentException(
                    "Record schema "
                            + recordSchema.getFullName()
                            + " differs from the writer schema with schema id "
                            + schemaId
                            + " ("
                            + writerSchema.getFullName()
                            + "); create an encoder for that schema");
        }
        lastAcceptedSchema = recordSchema;
    }

    private DatumWriter<Object> writerFor(IndexedRecord record) {
        if (record instanceof SpecificRecord) {
            if (specificWriterClass != record.getClass()) {
                // The generated class's own model carries its logical-type conversions.
                specificWriter =
                        new SpecificDatumWriter<>(
                                writerSchema, SpecificData.getForClass(record.getClass()));
                specificWriterClass = record.getClass();
            }
            return specificWriter;
        }
        if (genericWriter == null) {
            GenericData model = new GenericData();
            model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
            model.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
            model.addLogicalTypeConversion(new TimeConversions.DateConversion());
            genericWriter = new GenericDatumWriter<>(writerSchema, model);
        }
        return genericWriter;
    }
}
