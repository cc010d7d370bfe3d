package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.schemas.registry.SchemaReferencesJson;
import java.util.Collection;

/** The JSON shapes of the Confluent REST API that the embedded registry answers with. */
final class RegistryJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private RegistryJson() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode strings(Collection<String> values) {
        ArrayNode array = MAPPER.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    static ArrayNode ints(Collection<Integer> values) {
        ArrayNode array = MAPPER.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    /** {@code subject}, {@code version}, {@code id}, {@code schema} and any references. */
    static ObjectNode version(SubjectVersion version) {
        ObjectNode node = object();
        node.put("subject", version.subject());
        node.put("version", version.version());
        node.put("id", version.schema().id());
        node.put("schema", version.schema().canonical());
        SchemaReferencesJson.put(node, version.schema().references());
        return node;
    }

    /** {@code schema} and any references, as {@code GET /schemas/ids/{id}} answers. */
    static ObjectNode schema(StoredSchema schema) {
        ObjectNode node = object().put("schema", schema.canonical());
        SchemaReferencesJson.put(node, schema.references());
        return node;
    }
}
