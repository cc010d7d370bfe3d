package dev.substrate.local.lake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.MapType;
import org.apache.flink.table.types.logical.RowType;

/**
 * Turns rows read back from the lake (Flink {@link RowData}, as Iceberg's Flink source reads them)
 * into the Avro records the operators take, by the Avro schema's field names: timestamps back to
 * epoch milliseconds, enum names back to symbols, nested records, lists and maps recursively; a
 * field the row lacks (written under an older schema) takes its Avro default. The result goes
 * through Avro binary once, so logical types come out as the generated classes expect them.
 */
public final class LakeRecords {

    private LakeRecords() {}

    /** The row, of the table's Flink row type {@code rowType}, as a {@code type} record. */
    public static <T extends SpecificRecord> T toAvro(
            RowData row, RowType rowType, Class<T> type, Schema schema) {
        GenericRecord generic = (GenericRecord) convert(row, schema, rowType);
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

    private static Object convert(Object value, Schema schema, LogicalType flink) {
        switch (schema.getType()) {
            case UNION -> {
                if (value == null) {
                    return null;
                }
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return convert(value, branch, flink);
                    }
                }
                return null;
            }
            case RECORD -> {
                RowData row = (RowData) value;
                RowType rowType = (RowType) flink;
                GenericData.Record out = new GenericData.Record(schema);
                for (Schema.Field field : schema.getFields()) {
                    int index = rowType.getFieldIndex(field.name());
                    Object v =
                            index < 0
                                    ? null
                                    : RowData.createFieldGetter(rowType.getTypeAt(index), index)
                                            .getFieldOrNull(row);
                    out.put(
                            field.pos(),
                            v == null && field.hasDefaultValue()
                                    ? GenericData.get().getDefaultValue(field)
                                    : convert(
                                            v,
                                            field.schema(),
                                            index < 0 ? null : rowType.getTypeAt(index)));
                }
                return out;
            }
            case ENUM -> {
                return new GenericData.EnumSymbol(schema, String.valueOf(value));
            }
            case ARRAY -> {
                ArrayData items = (ArrayData) value;
                LogicalType itemType = ((ArrayType) flink).getElementType();
                ArrayData.ElementGetter getter = ArrayData.createElementGetter(itemType);
                List<Object> out = new ArrayList<>(items.size());
                for (int i = 0; i < items.size(); i++) {
                    out.add(
                            convert(
                                    getter.getElementOrNull(items, i),
                                    schema.getElementType(),
                                    itemType));
                }
                return out;
            }
            case MAP -> {
                MapData map = (MapData) value;
                MapType mapType = (MapType) flink;
                ArrayData.ElementGetter keys = ArrayData.createElementGetter(mapType.getKeyType());
                ArrayData.ElementGetter values =
                        ArrayData.createElementGetter(mapType.getValueType());
                Map<String, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < map.size(); i++) {
                    out.put(
                            String.valueOf(keys.getElementOrNull(map.keyArray(), i)),
                            convert(
                                    values.getElementOrNull(map.valueArray(), i),
                                    schema.getValueType(),
                                    mapType.getValueType()));
                }
                return out;
            }
            case LONG -> {
                return value instanceof TimestampData t
                        ? t.toInstant().toEpochMilli()
                        : ((Number) value).longValue();
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
}
