package dev.substrate.sinks.lake;

import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.Schema;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Decides whether a lake table may follow a new record schema, column by column (by name), before
 * anything is written.
 *
 * <table>
 *   <caption>schema changes and the lake</caption>
 *   <tr><th>change</th><th>lake</th></tr>
 *   <tr><td>new field (optional, or with a default)</td><td>allowed: an optional column is added;
 *       older rows read null</td></tr>
 *   <tr><td>int → long, float → double</td><td>allowed: the column is widened in place</td></tr>
 *   <tr><td>required → optional</td><td>allowed: the column is made optional</td></tr>
 *   <tr><td>field removed</td><td>allowed: the column stays (made optional); new rows hold
 *       null</td></tr>
 *   <tr><td>rename (an Avro alias naming an existing column)</td><td>refused</td></tr>
 *   <tr><td>long → int, double → float (narrowing)</td><td>refused</td></tr>
 *   <tr><td>any other type change (string → int, ...)</td><td>refused</td></tr>
 * </table>
 *
 * A refused change fails the job when it is built, with a {@link LakeSchemaChangeException} that
 * names the column: register the change as a new field instead (and backfill), or write to a new
 * table.
 */
public final class LakeSchemaEvolution {

    private LakeSchemaEvolution() {}

    /**
     * The changes the table needs to hold rows of {@code wanted}, for a log line; empty when none.
     *
     * @param avro the Avro schema {@code wanted} was made from, for its field aliases (renames)
     * @throws LakeSchemaChangeException when a change is not allowed
     */
    public static List<String> plan(
            String table, Schema current, Schema wanted, org.apache.avro.Schema avro) {
        List<String> changes = new ArrayList<>();
        for (Types.NestedField column : wanted.columns()) {
            Types.NestedField existing = current.findField(column.name());
            if (existing == null) {
                org.apache.avro.Schema.Field field = avro.getField(column.name());
                if (field != null) {
                    for (String alias : field.aliases()) {
                        if (current.findField(alias) != null) {
                            throw new LakeSchemaChangeException(
                                    "Lake table "
                                            + table
                                            + ": field '"
                                            + column.name()
                                            + "' renames column '"
                                            + alias
                                            + "' (Avro alias). Renames are refused: the lake would"
                                            + " hold two columns for one meaning. Keep the name, or"
                                            + " add a new field with a default and backfill it.");
                        }
                    }
                }
                changes.add("add optional column " + column.name() + " " + column.type());
                continue;
            }
            Type from = existing.type();
            Type to = column.type();
            if (!sameType(from, to)) {
                if (isWidening(from, to)) {
                    changes.add("widen " + column.name() + " from " + from + " to " + to);
                } else {
                    throw new LakeSchemaChangeException(
                            "Lake table "
                                    + table
                                    + ": column '"
                                    + column.name()
                                    + "' is "
                                    + from
                                    + " in the table but "
                                    + to
                                    + " in the new schema. "
                                    + (isWidening(to, from)
                                            ? "Narrowing is refused (existing values may not fit)."
                                            : "Changing a column's type is refused.")
                                    + " Allowed: add an optional field, widen int to long or"
                                    + " float to double, make a field optional.");
                }
            }
            if (existing.isRequired() && column.isOptional()) {
                changes.add("make " + column.name() + " optional");
            }
        }
        for (Types.NestedField column : current.columns()) {
            if (wanted.findField(column.name()) == null && column.isRequired()) {
                changes.add("make " + column.name() + " optional (no longer written)");
            }
        }
        return changes;
    }

    /** Types compared by shape, not by the field ids Iceberg assigns to nested elements. */
    static boolean sameType(Type a, Type b) {
        if (a.isPrimitiveType() || b.isPrimitiveType()) {
            return a.equals(b);
        }
        if (a.isListType() && b.isListType()) {
            return sameType(a.asListType().elementType(), b.asListType().elementType());
        }
        if (a.isMapType() && b.isMapType()) {
            return sameType(a.asMapType().keyType(), b.asMapType().keyType())
                    && sameType(a.asMapType().valueType(), b.asMapType().valueType());
        }
        if (a.isStructType() && b.isStructType()) {
            List<Types.NestedField> fa = a.asStructType().fields();
            List<Types.NestedField> fb = b.asStructType().fields();
            if (fa.size() != fb.size()) {
                return false;
            }
            for (int i = 0; i < fa.size(); i++) {
                if (!fa.get(i).name().equals(fb.get(i).name())
                        || !sameType(fa.get(i).type(), fb.get(i).type())) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    static boolean isWidening(Type from, Type to) {
        return (from.typeId() == Type.TypeID.INTEGER && to.typeId() == Type.TypeID.LONG)
                || (from.typeId() == Type.TypeID.FLOAT && to.typeId() == Type.TypeID.DOUBLE);
    }
}
