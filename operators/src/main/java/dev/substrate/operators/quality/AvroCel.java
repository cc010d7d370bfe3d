package dev.substrate.operators.quality;

import com.google.protobuf.ByteString;
import com.google.protobuf.NullValue;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.NullableType;
import dev.cel.common.types.SimpleType;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

/**
 * How Avro fields look to CEL rules: strings and enums are strings, int and long are ints, float
 * and double are doubles, timestamps are timestamps, nullable fields may be null, arrays are lists
 * and maps are maps.
 */
final class AvroCel {

    private AvroCel() {}

    /** The CEL type a rule sees for a field of this Avro schema. */
    static CelType typeOf(Schema schema) {
        return switch (schema.getType()) {
            case STRING, ENUM -> SimpleType.STRING;
            case INT -> SimpleType.INT;
            case LONG -> isTimestamp(schema) ? SimpleType.TIMESTAMP : SimpleType.INT;
            case FLOAT, DOUBLE -> SimpleType.DOUBLE;
            case BOOLEAN -> SimpleType.BOOL;
            case BYTES, FIXED -> SimpleType.BYTES;
            case NULL -> SimpleType.NULL_TYPE;
            case ARRAY -> ListType.create(typeOf(schema.getElementType()));
            case MAP -> MapType.create(SimpleType.STRING, typeOf(schema.getValueType()));
            // Nested records are maps from field name to value; checked at run time.
            case RECORD -> MapType.create(SimpleType.STRING, SimpleType.DYN);
            case UNION -> unionType(schema);
        };
    }

    private static CelType unionType(Schema union) {
        Schema single = nonNullBranch(union);
        if (single == null) {
            return SimpleType.DYN;
        }
        CelType type = typeOf(single);
        // CEL's wrapper types (nullable primitives) compare with null and with their value type.
        if (type instanceof SimpleType
                && type != SimpleType.DYN
                && type != SimpleType.NULL_TYPE
                && union.getTypes().size() == 2) {
            return NullableType.create(type);
        }
        return SimpleType.DYN;
    }

    /** The other branch of a {@code ["null", X]} union, or null for any other union. */
    static Schema nonNullBranch(Schema union) {
        List<Schema> types = union.getTypes();
        if (types.size() != 2) {
            return null;
        }
        if (types.get(0).getType() == Schema.Type.NULL) {
            return types.get(1);
        }
        if (types.get(1).getType() == Schema.Type.NULL) {
            return types.get(0);
        }
        return null;
    }

    /** The CEL value of an Avro value of this schema (as found in a specific or generic record). */
    static Object valueOf(Object value, Schema schema) {
        if (value == null) {
            return NullValue.NULL_VALUE;
        }
        return switch (schema.getType()) {
            case STRING, ENUM -> value.toString();
            case INT, LONG -> number(value, schema);
            case FLOAT, DOUBLE -> ((Number) value).doubleValue();
            case BOOLEAN -> value;
            case BYTES -> ByteString.copyFrom(((ByteBuffer) value).duplicate());
            case FIXED -> ByteString.copyFrom(((GenericFixed) value).bytes());
            case NULL -> NullValue.NULL_VALUE;
            case ARRAY -> list((List<?>) value, schema.getElementType());
            case MAP -> map((Map<?, ?>) value, schema.getValueType());
            case RECORD -> record((IndexedRecord) value);
            case UNION -> unionValue(value, schema);
        };
    }

    private static Object number(Object value, Schema schema) {
        if (value instanceof Instant instant) {
            return instant;
        }
        long raw = ((Number) value).longValue();
        LogicalType logical = schema.getLogicalType();
        if (logical instanceof LogicalTypes.TimestampMillis) {
            return Instant.ofEpochMilli(raw);
        }
        if (logical instanceof LogicalTypes.TimestampMicros) {
            return Instant.EPOCH.plus(raw, ChronoUnit.MICROS);
        }
        return raw;
    }

    private static Object unionValue(Object value, Schema union) {
        Schema single = nonNullBranch(union);
        if (single != null) {
            return valueOf(value, single);
        }
        for (Schema branch : union.getTypes()) {
            if (branch.getType() != Schema.Type.NULL && fits(value, branch)) {
                return valueOf(value, branch);
            }
        }
        return value.toString();
    }

    private static boolean fits(Object value, Schema branch) {
        return switch (branch.getType()) {
            case STRING, ENUM -> value instanceof CharSequence || value instanceof Enum<?>;
            case INT, LONG ->
                    value instanceof Integer || value instanceof Long || value instanceof Instant;
            case FLOAT, DOUBLE -> value instanceof Float || value instanceof Double;
            case BOOLEAN -> value instanceof Boolean;
            case BYTES -> value instanceof ByteBuffer;
            case FIXED -> value instanceof GenericFixed;
            case ARRAY -> value instanceof List<?>;
            case MAP -> value instanceof Map<?, ?>;
            case RECORD ->
                    value instanceof IndexedRecord r
                            && r.getSchema().getFullName().equals(branch.getFullName());
            default -> false;
        };
    }

    private static List<Object> list(List<?> values, Schema elementSchema) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object v : values) {
            out.add(valueOf(v, elementSchema));
        }
        return out;
    }

    private static Map<String, Object> map(Map<?, ?> values, Schema valueSchema) {
        Map<String, Object> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k.toString(), valueOf(v, valueSchema)));
        return out;
    }

    private static Map<String, Object> record(IndexedRecord nested) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Schema.Field f : nested.getSchema().getFields()) {
            Object v = nested.get(f.pos());
            if (v != null) {
                out.put(f.name(), valueOf(v, f.schema()));
            }
        }
        return out;
    }

    static boolean isTimestamp(Schema schema) {
        LogicalType logical = schema.getLogicalType();
        return logical instanceof LogicalTypes.TimestampMillis
                || logical instanceof LogicalTypes.TimestampMicros;
    }
}
