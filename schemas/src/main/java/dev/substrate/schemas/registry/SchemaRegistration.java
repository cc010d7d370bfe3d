package dev.substrate.schemas.registry;

import dev.substrate.schemas.wire.AvroWireEncoder;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;

/**
 * Registers a producer's schema the way a governed producer must: a refusal by the registry stops
 * the producer with the registry's reason, the subject and the fields named, and what to do about
 * it; nothing is ever sent with an unregistered schema. Every Substrate producer (the sample
 * producer, {@code substrate collect}) registers through here.
 */
public final class SchemaRegistration {

    private SchemaRegistration() {}

    /**
     * Registers {@code schema} the way a governed producer must: when the registry refuses it
     * (error 409, incompatible with the subject's compatibility level; 42201, not a valid schema),
     * the producer stops with the registry's reason, the subject and the schema named, and what to
     * do about it; nothing is sent with an unregistered schema.
     *
     * @throws SchemaRegistryException with that explanation as its message (the registry's status
     *     and error code kept), or the registry's own error for anything else
     */
    public static AvroWireEncoder register(
            SchemaRegistryClient registry, String subject, Schema schema)
            throws SchemaRegistryException {
        try {
            return AvroWireEncoder.register(registry, subject, schema);
        } catch (SchemaRegistryException e) {
            String advice;
            if (e.errorCode() == SchemaRegistryException.INCOMPATIBLE_SCHEMA
                    || e.httpStatus() == 409) {
                advice =
                        "The change breaks the subject's compatibility level. Allowed under"
                                + " BACKWARD (the default): add a field with a default, remove a"
                                + " field, widen int to long or float to double. Refused: a new"
                                + " field without a default, a rename, a narrowing or another type"
                                + " change. Make the change compatible, or publish to a new"
                                + " subject.";
            } else if (e.errorCode() == SchemaRegistryException.INVALID_SCHEMA) {
                advice = "The registry cannot parse the schema; fix the schema.";
            } else {
                throw e;
            }
            throw new SchemaRegistryException(
                    "Schema registry refused schema "
                            + schema.getFullName()
                            + " for subject '"
                            + subject
                            + "': "
                            + e.getMessage()
                            + fieldNames(e.getMessage(), schema)
                            + ". "
                            + advice,
                    e.httpStatus(),
                    e.errorCode(),
                    false,
                    e);
        }
    }

    /** Names the fields behind the JSON pointers of a registry message ({@code /fields/6}). */
    private static String fieldNames(String message, Schema schema) {
        Matcher pointer = Pattern.compile("/fields/(\\d+)").matcher(message);
        Set<String> named = new LinkedHashSet<>();
        while (pointer.find()) {
            int index = Integer.parseInt(pointer.group(1));
            if (index < schema.getFields().size()) {
                named.add(pointer.group() + " is field " + schema.getFields().get(index).name());
            }
        }
        return named.isEmpty() ? "" : " [" + String.join("; ", named) + "]";
    }
}
