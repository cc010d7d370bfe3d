package dev.substrate.sinks.lake;

import dev.substrate.schemas.EventType;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * What one lake table looks like: its name in namespace {@code substrate}, the Avro schema of the
 * records it holds, and the fields it is partitioned by ({@code day(timestampField)} and {@code
 * identity(partitionField)}).
 *
 * @param name table name, for example {@code gpu_samples}
 * @param avroSchema the Avro record schema; column names and nullability come from it
 * @param timestampField a {@code timestamp-millis} or {@code timestamp-micros} field of the schema
 * @param partitionField a low-cardinality primitive field of the schema (cluster, source, ...)
 */
public record LakeTableSpec(
        String name, Schema avroSchema, String timestampField, String partitionField) {

    public LakeTableSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(avroSchema, "avroSchema");
        Objects.requireNonNull(timestampField, "timestampField");
        Objects.requireNonNull(partitionField, "partitionField");
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException(
                    "Lake table name '" + name + "' must be lower snake_case, e.g. gpu_samples");
        }
        if (avroSchema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "Lake table " + name + " needs an Avro record schema, got " + avroSchema);
        }
        requireField(name, avroSchema, timestampField, "timestampField");
        requireField(name, avroSchema, partitionField, "partitionField");
    }

    /** The raw table of an event type: its table name, schema, time field and partition key. */
    public static LakeTableSpec of(EventType type) {
        return new LakeTableSpec(
                type.tableName(), type.schema(), type.timestampField(), type.partitionField());
    }

    private static void requireField(String table, Schema schema, String field, String role) {
        if (schema.getField(field) == null) {
            throw new IllegalArgumentException(
                    "Lake table "
                            + table
                            + ": "
                            + role
                            + " '"
                            + field
                            + "' is not a field of "
                            + schema.getFullName());
        }
    }
}
