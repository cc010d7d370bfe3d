package dev.substrate.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code references} array of the Confluent REST API ({@code [{"name": ..., "subject": ...,
 * "version": ...}]}), read and written the same way by {@link SchemaRegistryClient} and the
 * embedded registry.
 */
public final class SchemaReferencesJson {

    private SchemaReferencesJson() {}

    /**
     * Adds a {@code references} array to {@code node} unless there are none (Confluent omits it).
     */
    public static void put(ObjectNode node, List<SchemaReference> references) {
        if (references.isEmpty()) {
            return;
        }
        ArrayNode array = node.putArray("references");
        for (SchemaReference reference : references) {
            array.addObject()
                    .put("name", reference.name())
                    .put("subject", reference.subject())
                    .put("version", reference.version());
        }
    }

    /**
     * Reads a {@code references} array; a missing or null one is empty.
     *
     * @throws IllegalArgumentException naming the malformed reference
     */
    public static List<SchemaReference> read(JsonNode array) {
        if (array == null || array.isNull()) {
            return List.of();
        }
        if (!array.isArray()) {
            throw new IllegalArgumentException("'references' must be an array, got " + array);
        }
        List<SchemaReference> references = new ArrayList<>(array.size());
        for (JsonNode node : array) {
            JsonNode name = node.get("name");
            JsonNode subject = node.get("subject");
            JsonNode version = node.get("version");
            if (name == null
                    || !name.isTextual()
                    || subject == null
                    || !subject.isTextual()
                    || version == null
                    || !version.canConvertToInt()) {
                throw new IllegalArgumentException(
                        "Invalid reference "
                                + node
                                + ": it needs a 'name', a 'subject' and a 'version' number");
            }
            references.add(
                    new SchemaReference(name.asText(), subject.asText(), version.intValue()));
        }
        return List.copyOf(references);
    }
}
