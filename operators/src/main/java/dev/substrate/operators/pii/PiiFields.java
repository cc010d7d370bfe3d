package dev.substrate.operators.pii;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The fields of an Avro record schema marked as personal data with the field property {@code "pii":
 * true}, for example {@code {"name": "principal", "type": "string", "pii": true}}. Only top-level
 * fields of type string (or a union of null and string) may be marked; anything else is refused
 * when the job is built, because it could not be tokenized.
 */
public final class PiiFields {

    /** The Avro field property that marks personal data. */
    public static final String PROPERTY = "pii";

    private PiiFields() {}

    /** The names of the PII fields of {@code schema}, in schema order; empty when none. */
    public static List<String> of(Schema schema) {
        List<String> names = new ArrayList<>();
        for (Schema.Field field : schema.getFields()) {
            if (!isMarked(field)) {
                continue;
            }
            if (!isString(field.schema())) {
                throw new IllegalArgumentException(
                        "Field "
                                + schema.getFullName()
                                + "."
                                + field.name()
                                + " is marked \"pii\": true but is "
                                + field.schema()
                                + "; only string fields (or unions of null and string) can be"
                                + " tokenized");
            }
            names.add(field.name());
        }
        return names;
    }

    public static boolean hasPii(Schema schema) {
        return !of(schema).isEmpty();
    }

    static boolean isMarked(Schema.Field field) {
        Object mark = field.getObjectProp(PROPERTY);
        return Boolean.TRUE.equals(mark) || "true".equals(mark);
    }

    private static boolean isString(Schema schema) {
        if (schema.getType() == Schema.Type.STRING) {
            return true;
        }
        if (schema.getType() != Schema.Type.UNION) {
            return false;
        }
        boolean string = false;
        for (Schema branch : schema.getTypes()) {
            if (branch.getType() == Schema.Type.STRING) {
                string = true;
            } else if (branch.getType() != Schema.Type.NULL) {
                return false;
            }
        }
        return string;
    }
}
