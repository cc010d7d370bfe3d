package dev.substrate.embedded.registry;

import dev.substrate.schemas.registry.CompatibilityLevel;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Applies a {@link CompatibilityLevel} with Avro's own reader/writer checker ({@link
 * SchemaCompatibility}), the same rules Avro applies when it resolves data at read time.
 */
final class AvroCompatibilityChecker {

    /** A registered version the candidate is checked against. */
    record Existing(int version, Schema schema) {}

    private AvroCompatibilityChecker() {}

    /**
     * Checks {@code candidate} against {@code existingOldestFirst} (the subject's live versions).
     * Non-transitive levels check only the latest version.
     *
     * @return one message per incompatibility; empty when compatible
     */
    static List<String> check(
            CompatibilityLevel level, Schema candidate, List<Existing> existingOldestFirst) {
        if (level == CompatibilityLevel.NONE || existingOldestFirst.isEmpty()) {
            return List.of();
        }
        List<Existing> targets =
                level.isTransitive()
                        ? existingOldestFirst
                        : List.of(existingOldestFirst.get(existingOldestFirst.size() - 1));
        List<String> messages = new ArrayList<>();
        // Newest first, so the most relevant conflict is reported first.
        for (int i = targets.size() - 1; i >= 0; i--) {
            Existing existing = targets.get(i);
            if (level.checksBackward()) {
                describe(
                        SchemaCompatibility.checkReaderWriterCompatibility(
                                candidate, existing.schema()),
                        "BACKWARD",
                        "the new schema cannot read data written with version "
                                + existing.version(),
                        messages);
            }
            if (level.checksForward()) {
                describe(
                        SchemaCompatibility.checkReaderWriterCompatibility(
                                existing.schema(), candidate),
                        "FORWARD",
                        "version "
                                + existing.version()
                                + " cannot read data written with the new schema",
                        messages);
            }
        }
        return messages;
    }

    private static void describe(
            SchemaPairCompatibility result,
            String direction,
            String consequence,
            List<String> messages) {
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            messages.add(
                    direction
                            + ": "
                            + consequence
                            + " - "
                            + incompatibility.getType()
                            + " at '"
                            + incompatibility.getLocation()
                            + "': "
                            + incompatibility.getMessage());
        }
    }
}
