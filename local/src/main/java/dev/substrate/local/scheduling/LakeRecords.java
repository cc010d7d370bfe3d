package dev.substrate.local.scheduling;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.iceberg.data.Record;

/**
 * Turns rows read back from the lake (Iceberg generic records) into the Avro records the operators
 * take, by the Avro schema's field names: timestamps back to epoch milliseconds, enum names back to
 * symbols, nested records and lists recursively; a field the row lacks (written under an older
 * schema) takes its Avro default. The result goes through Avro binary once, so logical types come
 * out as the generated classes expect them.
 */
final class LakeRecords {

    private LakeRecords() {}

    /** The row as a {@code type} record. */
    static <T extends SpecificRecord> T toAvro(Record row, Class<T> type, Schema schema) {
        GenericRecord generic = (GenericRecord) convert(row, schema);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            new GenericDatumWriter<GenericRecord>(schema).write(generic, encoder);
            encoder.flush();
            return new SpecificDatumReader<>(type)
                    .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read a lake row as " + type.getName(), e);
        }
    }

    private static Object convert(Object value, Schema schema) {
        switch (schema.getType()) {
            case UNION -> {
                if (value == null) {
                    return null;
                }
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return convert(value, branch);
                    }
                }
                return null;
            }
            case RECORD -> {
                Record row = (Record) value;
                GenericData.Record out = new GenericData.Record(schema);
                for (Schema.Field field : schema.getFields()) {
                    Object v =
                            row.struct().field(field.name()) == null
                                    ? null
                                    : row.getField(field.name());
                    out.put(
                            field.pos(),
                            v == null && field.hasDefaultValue()
                                    ? GenericData.get().getDefaultValue(field)
                                    : convert(v, field.schema()));
                }
                return out;
            }
            case ENUM -> {
                return new GenericData.EnumSymbol(schema, String.valueOf(value));
            }
            case ARRAY -> {
                List<Object> out = new ArrayList<>();
                for (Object item : (List<?>) value) {
                    out.add(convert(item, schema.getElementType()));
                }
                return out;
            }
            case MAP -> {
                Map<String, Object> out = new LinkedHashMap<>();
                ((Map<?, ?>) value)
                        .forEach(
                                (k, v) ->
                                        out.put(
                                                String.valueOf(k),
                                                convert(v, schema.getValueType())));
                return out;
            }
            case LONG -> {
                return millisOrLong(value);
            }
            case STRING -> {
                return String.valueOf(value);
            }
            case BYTES -> {
                return value instanceof ByteBuffer b ? b : ByteBuffer.wrap((byte[]) value);
            }
            default -> {
                return value;
            }
        }
    }

    private static Object millisOrLong(Object value) {
        if (value instanceof OffsetDateTime t) {
            return t.toInstant().toEpochMilli();
        }
        if (value instanceof LocalDateTime t) {
            return t.toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        if (value instanceof Instant t) {
            return t.toEpochMilli();
        }
        return ((Number) value).longValue();
    }
}
