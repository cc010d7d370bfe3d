package dev.substrate.schemas.wire;

import dev.substrate.events.DeadLetterReason;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * Decodes Confluent wire-format values written with any registered version of a schema into the
 * current generated class {@code T}, using Avro schema resolution (new fields get their defaults,
 * removed fields are skipped).
 *
 * <p>Bad data never throws: it comes back as a failed {@link DecodeResult} with a dead-letter
 * reason. Only an unavailable registry throws ({@link SchemaRegistryException#isRetryable()}), so
 * the caller can retry the same value instead of dead-lettering good data.
 *
 * <p>Each writer schema id costs one registry lookup and one resolving reader, both kept for the
 * life of the decoder. Not thread-safe: it reuses one {@link BinaryDecoder}; use one per thread.
 */
public final class AvroWireDecoder<T extends SpecificRecord> {

    private final SchemaRegistryClient client;
    private final Class<T> readerClass;
    private final Schema readerSchema;
    private final SpecificData model;
    private final Map<Integer, Resolution<T>> resolutions = new HashMap<>();
    private final LengthCheckingDecoder checkedDecoder = new LengthCheckingDecoder();
    private BinaryDecoder binaryDecoder;

    public AvroWireDecoder(SchemaRegistryClient client, Class<T> readerClass) {
        this.client = Objects.requireNonNull(client, "client");
        this.readerClass = Objects.requireNonNull(readerClass, "readerClass");
        // The class's own model carries its logical-type conversions (timestamps as Instant).
        this.model = SpecificData.getForClass(readerClass);
        this.readerSchema = model.getSchema(readerClass);
    }

    public Class<T> readerClass() {
        return readerClass;
    }

    /**
     * Decodes one value. A null value (a Kafka tombstone: a delete marker of a compacted topic, not
     * a record) fails with {@link DeadLetterReason#TOMBSTONE}, never as bad bytes.
     *
     * @throws SchemaRegistryException only when the registry could not be reached or failed ({@code
     *     isRetryable()}); retrying the same value later can succeed
     */
    public DecodeResult<T> decode(byte[] value) throws SchemaRegistryException {
        if (value == null) {
            return DecodeResult.failed(
                    DeadLetterReason.TOMBSTONE,
                    null,
                    "A tombstone (null value): Substrate's input topics hold events, not a"
                            + " compacted table, so there is nothing to delete");
        }
        WireFrame frame;
        try {
            frame = ConfluentWireFormat.parse(value);
        } catch (MalformedFrameException e) {
            return DecodeResult.failed(DeadLetterReason.NOT_WIRE_FORMAT, null, e.getMessage());
        }
        int schemaId = frame.schemaId();
        Resolution<T> resolution = resolutions.get(schemaId);
        if (resolution == null) {
            Schema writerSchema;
            try {
                writerSchema = client.getSchemaById(schemaId);
            } catch (SchemaRegistryException e) {
                if (e.isRetryable()) {
                    throw e;
                }
                if (e.httpStatus() == 401 || e.httpStatus() == 403) {
                    // Refused credentials say nothing about the record: dead-lettering every
                    // record would hide an operator error, so wait (loudly) like an outage.
                    throw new SchemaRegistryException(
                            "The schema registry refused our credentials (HTTP "
                                    + e.httpStatus()
                                    + ") fetching schema id "
                                    + schemaId
                                    + "; check SUBSTRATE_REGISTRY_BASIC_AUTH or"
                                    + " SUBSTRATE_REGISTRY_BEARER_TOKEN: "
                                    + e.getMessage(),
                            e.httpStatus(),
                            e.errorCode(),
                            true,
                            e);
                }
                if (e.httpStatus() >= 200 && e.httpStatus() < 300) {
                    // The registry knows the id, but its schema is not a usable Avro schema
                    // (e.g. a PROTOBUF or JSON schema): no reader can resolve it.
                    return DecodeResult.failed(
                            DeadLetterReason.SCHEMA_RESOLUTION_FAILED,
                            schemaId,
                            "Writer schema id " + schemaId + " is unusable: " + e.getMessage());
                }
                // Not cached: the id may yet appear (a registry replica that lags behind).
                return DecodeResult.failed(
                        DeadLetterReason.UNKNOWN_SCHEMA_ID,
                        schemaId,
                        unknownIdMessage(schemaId, e));
            }
            resolution = resolve(schemaId, writerSchema);
            resolutions.put(schemaId, resolution);
        }
        if (resolution.failure != null) {
            return DecodeResult.failed(
                    DeadLetterReason.SCHEMA_RESOLUTION_FAILED, schemaId, resolution.failure);
        }
        return read(frame, resolution);
    }

    private DecodeResult<T> read(WireFrame frame, Resolution<T> resolution) {
        int schemaId = frame.schemaId();
        binaryDecoder =
                DecoderFactory.get()
                        .binaryDecoder(
                                frame.buffer(),
                                frame.payloadOffset(),
                                frame.payloadLength(),
                                binaryDecoder);
        checkedDecoder.configure(binaryDecoder);
        T record;
        try {
            record = resolution.reader.read(null, checkedDecoder);
        } catch (AvroTypeException e) {
            // Raised by the resolving grammar when writer and reader types cannot be matched.
            return DecodeResult.failed(
                    DeadLetterReason.SCHEMA_RESOLUTION_FAILED,
                    schemaId,
                    "Cannot resolve writer schema id "
                            + schemaId
                            + " ("
                            + resolution.writerName
                            + ") to reader "
                            + readerSchema.getFullName()
                            + ": "
                            + e.getMessage());
        } catch (IOException | RuntimeException e) {
            return DecodeResult.failed(
                    DeadLetterReason.AVRO_DECODE_FAILED,
                    schemaId,
                    "Avro payload of "
                            + frame.payloadLength()
                            + " bytes does not decode with writer schema id "
                            + schemaId
                            + " ("
                            + resolution.writerName
                            + "): "
                            + describe(e));
        }
        try {
            if (!checkedDecoder.isEnd()) {
                return DecodeResult.failed(
                        DeadLetterReason.AVRO_DECODE_FAILED,
                        schemaId,
                        "Avro payload of "
                                + frame.payloadLength()
                                + " bytes has trailing bytes after a complete record of writer"
                                + " schema id "
                                + schemaId
                                + " ("
                                + resolution.writerName
                                + "); the id does not match the data");
            }
        } catch (IOException e) {
            return DecodeResult.failed(DeadLetterReason.AVRO_DECODE_FAILED, schemaId, describe(e));
        }
        return DecodeResult.ok(record, schemaId);
    }

    private Resolution<T> resolve(int schemaId, Schema writerSchema) {
        String writerName = writerSchema.getFullName();
        SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            String problems =
                    compatibility.getResult().getIncompatibilities().stream()
                            .map(
                                    i ->
                                            i.getType()
                                                    + " at "
                                                    + fieldPath(i.getLocation())
                                                    + ": "
                                                    + i.getMessage())
                            .collect(Collectors.joining("; "));
            return Resolution.failed(
                    writerName,
                    "Writer schema id "
                            + schemaId
                            + " ("
                            + writerName
                            + ") cannot be read as "
                            + readerSchema.getFullName()
                            + ": "
                            + problems);
        }
        SpecificDatumReader<T> reader =
                new SpecificDatumReader<>(writerSchema, readerSchema, model);
        return new Resolution<>(writerName, reader, null);
    }

    /**
     * Turns a JSON-pointer location into the reader's field path, e.g. {@code /fields/6/type} into
     * {@code gpu_index (/fields/6/type)}, so the message names the field.
     */
    private String fieldPath(String pointer) {
        StringBuilder path = new StringBuilder();
        Schema schema = readerSchema;
        String[] tokens = pointer.split("/");
        try {
            for (int i = 1; i < tokens.length && schema != null; i++) {
                switch (tokens[i]) {
                    case "fields" -> {
                        Schema.Field field = schema.getFields().get(Integer.parseInt(tokens[++i]));
                        path.append(path.length() == 0 ? "" : ".").append(field.name());
                        schema = field.schema();
                    }
                    case "items" -> schema = schema.getElementType();
                    case "values" -> schema = schema.getValueType();
                    case "type" -> {}
                    default ->
                            schema =
                                    schema.getType() == Schema.Type.UNION
                                            ? schema.getTypes().get(Integer.parseInt(tokens[i]))
                                            : null;
                }
            }
        } catch (RuntimeException e) {
            return pointer; // a location shape not foreseen here: the pointer alone still helps
        }
        return path.length() == 0 ? pointer : path + " (" + pointer + ")";
    }

    private static String unknownIdMessage(int schemaId, SchemaRegistryException e) {
        if (e.isNotFound()) {
            return "Schema id " + schemaId + " is not registered: " + e.getMessage();
        }
        return "Registry refused schema id "
                + schemaId
                + " (HTTP "
                + e.httpStatus()
                + ", error code "
                + e.errorCode()
                + "): "
                + e.getMessage();
    }

    private static String describe(Exception e) {
        return e.getMessage() == null
                ? e.getClass().getSimpleName()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** A cached reader for one writer schema id, or why that id cannot be read. */
    private record Resolution<T>(String writerName, SpecificDatumReader<T> reader, String failure) {
        static <T> Resolution<T> failed(String writerName, String failure) {
            return new Resolution<>(writerName, null, failure);
        }
    }
}
