package dev.substrate.sinks.lake;

import java.io.Serial;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.util.Utf8;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.MapType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.flink.FlinkSchemaUtil;

/**
 * Turns Avro records (specific or generic) into the {@link RowData} layout of an Iceberg table.
 *
 * <p>Everything is decided once, when the mapper is built: for each table column the position of
 * the Avro field of the same name and a converter for its type. Per record it only walks that
 * array. Enums become strings, timestamps ({@link Instant} or epoch millis/micros) become {@link
 * TimestampData}, bytes become {@code byte[]}; a table column with no Avro field (added by a newer
 * schema) is written as null.
 */
final class AvroToRowDataMapper<T extends IndexedRecord> implements MapFunction<T, RowData> {

    @Serial private static final long serialVersionUID = 1L;

    private final RowConverter converter;

    private AvroToRowDataMapper(RowConverter converter) {
        this.converter = converter;
    }

    /**
     * A mapper writing records of {@code avroSchema} into a table of {@code tableSchema}.
     *
     * @throws IllegalArgumentException naming the column, when a column cannot be filled
     */
    static <T extends IndexedRecord> AvroToRowDataMapper<T> forTable(
            Schema avroSchema, org.apache.iceberg.Schema tableSchema) {
        return new AvroToRowDataMapper<>(
                RowConverter.of(avroSchema, FlinkSchemaUtil.convert(tableSchema), ""));
    }

    @Override
    public RowData map(T record) {
        return converter.convert(record);
    }

    /** Converts one non-null Avro value into its Flink internal representation. */
    @FunctionalInterface
    interface FieldConverter extends Serializable {
        Object convert(Object avroValue);
    }

    /** One Avro record into one {@link GenericRowData}, by precomputed field positions. */
    private static final class RowConverter implements FieldConverter {
        @Serial private static final long serialVersionUID = 1L;

        private final int[] avroPositions; // -1: the table has a column the Avro schema lacks
        private final FieldConverter[] converters;

        private RowConverter(int[] avroPositions, FieldConverter[] converters) {
            this.avroPositions = avroPositions;
            this.converters = converters;
        }

        static RowConverter of(Schema record, RowType rowType, String path) {
            List<RowType.RowField> columns = rowType.getFields();
            int[] positions = new int[columns.size()];
            FieldConverter[] converters = new FieldConverter[columns.size()];
            for (int i = 0; i < columns.size(); i++) {
                RowType.RowField column = columns.get(i);
                String columnPath = path + column.getName();
                Schema.Field field = record.getField(column.getName());
                if (field == null) {
                    if (!column.getType().isNullable()) {
                        throw new IllegalArgumentException(
                                "Required table column '"
                                        + columnPath
                                        + "' has no field in Avro schema "
                                        + record.getFullName());
                    }
                    positions[i] = -1;
                } else {
                    positions[i] = field.pos();
                    converters[i] = converter(field.schema(), column.getType(), columnPath);
                }
            }
            return new RowConverter(positions, converters);
        }

        @Override
        public RowData convert(Object avroValue) {
            IndexedRecord record = (IndexedRecord) avroValue;
            GenericRowData row = new GenericRowData(avroPositions.length);
            for (int i = 0; i < avroPositions.length; i++) {
                int pos = avroPositions[i];
                if (pos >= 0) {
                    Object value = record.get(pos);
                    row.setField(i, value == null ? null : converters[i].convert(value));
                }
            }
            return row;
        }
    }

    /**
     * A string value as UTF-8 bytes. {@link String#getBytes} is the JDK's vectorized encoder;
     * {@link StringData#fromString} would encode lazily, char by char, when Parquet asks for the
     * bytes.
     */
    static StringData stringData(Object value) {
        if (value instanceof Utf8 utf8) {
            return StringData.fromBytes(Arrays.copyOf(utf8.getBytes(), utf8.getByteLength()));
        }
        return StringData.fromBytes(value.toString().getBytes(StandardCharsets.UTF_8));
    }

    static FieldConverter converter(Schema avro, LogicalType type, String path) {
        Schema schema = nonNull(avro, path);
        Schema.Type avroType = schema.getType();
        switch (type.getTypeRoot()) {
            case CHAR, VARCHAR -> {
                expect(schema, type, path, Schema.Type.STRING, Schema.Type.ENUM);
                // Enum.toString() of generated enums and GenericEnumSymbol.toString() are the
                // symbol.
                return AvroToRowDataMapper::stringData;
            }
            case BOOLEAN -> {
                expect(schema, type, path, Schema.Type.BOOLEAN);
                return v -> v;
            }
            case INTEGER -> {
                expect(schema, type, path, Schema.Type.INT);
                return v -> ((Number) v).intValue();
            }
            case BIGINT -> {
                expect(schema, type, path, Schema.Type.INT, Schema.Type.LONG);
                return v -> ((Number) v).longValue();
            }
            case FLOAT -> {
                expect(schema, type, path, Schema.Type.FLOAT, Schema.Type.INT, Schema.Type.LONG);
                return v -> ((Number) v).floatValue();
            }
            case DOUBLE -> {
                expect(
                        schema,
                        type,
                        path,
                        Schema.Type.DOUBLE,
                        Schema.Type.FLOAT,
                        Schema.Type.INT,
                        Schema.Type.LONG);
                return v -> ((Number) v).doubleValue();
            }
            case DATE -> {
                expect(schema, type, path, Schema.Type.INT);
                return v ->
                        v instanceof LocalDate d ? (int) d.toEpochDay() : ((Number) v).intValue();
            }
            case TIME_WITHOUT_TIME_ZONE -> {
                expect(schema, type, path, Schema.Type.INT, Schema.Type.LONG);
                boolean micros = avroType == Schema.Type.LONG;
                // Flink's internal TIME is milliseconds of the day.
                return v -> {
                    if (v instanceof LocalTime t) {
                        return (int) (t.toNanoOfDay() / 1_000_000L);
                    }
                    long raw = ((Number) v).longValue();
                    return (int) (micros ? raw / 1000L : raw);
                };
            }
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE, TIMESTAMP_WITHOUT_TIME_ZONE -> {
                expect(schema, type, path, Schema.Type.LONG);
                boolean micros =
                        schema.getLogicalType() instanceof LogicalTypes.TimestampMicros
                                || schema.getLogicalType()
                                        instanceof LogicalTypes.LocalTimestampMicros;
                return v -> timestamp(v, micros);
            }
            case BINARY, VARBINARY -> {
                expect(schema, type, path, Schema.Type.BYTES, Schema.Type.FIXED);
                return AvroToRowDataMapper::bytes;
            }
            case DECIMAL -> {
                expect(schema, type, path, Schema.Type.BYTES, Schema.Type.FIXED);
                DecimalType decimal = (DecimalType) type;
                int precision = decimal.getPrecision();
                int scale = decimal.getScale();
                return v -> {
                    BigDecimal value =
                            v instanceof BigDecimal bd
                                    ? bd
                                    : new BigDecimal(new BigInteger(bytes(v)), scale);
                    return DecimalData.fromBigDecimal(value, precision, scale);
                };
            }
            case ARRAY -> {
                expect(schema, type, path, Schema.Type.ARRAY);
                FieldConverter element =
                        nullSafe(
                                converter(
                                        schema.getElementType(),
                                        ((ArrayType) type).getElementType(),
                                        path + "[]"));
                return v -> {
                    List<?> list = (List<?>) v;
                    Object[] out = new Object[list.size()];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = element.convert(list.get(i));
                    }
                    return new GenericArrayData(out);
                };
            }
            case MAP -> {
                expect(schema, type, path, Schema.Type.MAP);
                MapType mapType = (MapType) type;
                FieldConverter value =
                        nullSafe(
                                converter(
                                        schema.getValueType(),
                                        mapType.getValueType(),
                                        path + "{}"));
                return v -> {
                    Map<?, ?> map = (Map<?, ?>) v;
                    Map<Object, Object> out = new HashMap<>(Math.max(4, map.size() * 2));
                    // Avro map keys are always strings (String or Utf8).
                    map.forEach((k, val) -> out.put(stringData(k), value.convert(val)));
                    return new GenericMapData(out);
                };
            }
            case ROW -> {
                expect(schema, type, path, Schema.Type.RECORD);
                return RowConverter.of(schema, (RowType) type, path + ".");
            }
            default -> throw unsupported(schema, type, path);
        }
    }

    private static Object timestamp(Object value, boolean micros) {
        if (value instanceof Instant instant) {
            return TimestampData.fromInstant(instant);
        }
        if (value instanceof LocalDateTime local) {
            return TimestampData.fromLocalDateTime(local);
        }
        long raw = ((Number) value).longValue();
        if (!micros) {
            return TimestampData.fromEpochMillis(raw);
        }
        return TimestampData.fromEpochMillis(
                Math.floorDiv(raw, 1000L), (int) Math.floorMod(raw, 1000L) * 1000);
    }

    private static byte[] bytes(Object value) {
        if (value instanceof ByteBuffer buffer) {
            // Read through a duplicate: the record keeps its buffer position for other readers.
            ByteBuffer view = buffer.duplicate();
            byte[] out = new byte[view.remaining()];
            view.get(out);
            return out;
        }
        if (value instanceof GenericFixed fixed) {
            return fixed.bytes().clone();
        }
        return ((byte[]) value).clone();
    }

    private static FieldConverter nullSafe(FieldConverter converter) {
        return v -> v == null ? null : converter.convert(v);
    }

    private static Schema nonNull(Schema schema, String path) {
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        List<Schema> branches =
                schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
        if (branches.size() != 1) {
            throw new IllegalArgumentException(
                    "Column '"
                            + path
                            + "': only unions of null and one type are supported, got "
                            + schema);
        }
        return branches.get(0);
    }

    private static void expect(Schema schema, LogicalType type, String path, Schema.Type... ok) {
        if (!Set.of(ok).contains(schema.getType())) {
            throw unsupported(schema, type, path);
        }
    }

    private static IllegalArgumentException unsupported(
            Schema schema, LogicalType type, String path) {
        return new IllegalArgumentException(
                "Column '"
                        + path
                        + "': cannot write Avro "
                        + schema
                        + " into table type "
                        + type.asSummaryString());
    }
}
