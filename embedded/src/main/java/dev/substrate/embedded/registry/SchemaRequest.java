package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.substrate.schemas.registry.SchemaReference;
import dev.substrate.schemas.registry.SchemaReferencesJson;
import java.util.List;

/**
 * The body of a register, lookup or compatibility request: the schema text, its references, and,
 * for imports, the id and version to register it under ({@code -1} and {@code 0} when not given).
 */
record SchemaRequest(String schema, List<SchemaReference> references, int id, int version) {

    /**
     * Reads a request body. Anything but an Avro schema is 42201: JSON Schema and Protobuf are
     * refused by name.
     */
    static SchemaRequest from(JsonNode body) {
        JsonNode type = body.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equalsIgnoreCase(type.asText())) {
            throw RegistryError.invalidSchema(
                    "schema type "
                            + type.asText()
                            + " is not supported; this registry accepts AVRO schemas only");
        }
        JsonNode text = body.get("schema");
        if (text == null || !text.isTextual() || text.asText().isBlank()) {
            throw RegistryError.invalidSchema("the request has no 'schema' string");
        }
        List<SchemaReference> references;
        try {
            references = SchemaReferencesJson.read(body.get("references"));
        } catch (IllegalArgumentException e) {
            throw RegistryError.invalidSchema(e.getMessage());
        }
        return new SchemaRequest(
                text.asText(), references, intField(body, "id", -1), intField(body, "version", 0));
    }

    private static int intField(JsonNode body, String field, int absent) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return absent;
        }
        if (!node.canConvertToInt()) {
            throw RegistryError.invalidSchema("'" + field + "' must be a number, got " + node);
        }
        return node.intValue();
    }
}
