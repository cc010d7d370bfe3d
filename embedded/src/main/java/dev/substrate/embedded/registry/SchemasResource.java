package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code /schemas}: schemas by global id, where each id is used (subjects and versions), and the
 * supported schema types (AVRO only).
 */
final class SchemasResource {

    private static final Set<Integer> PARAMETERS = Set.of(2);
    private static final Set<String> SHAPES =
            Set.of(
                    "schemas/types",
                    "schemas/ids/*",
                    "schemas/ids/*/schema",
                    "schemas/ids/*/subjects",
                    "schemas/ids/*/versions");

    private final SchemaStore store;

    SchemasResource(SchemaStore store) {
        this.store = store;
    }

    RegistryResponse handle(RegistryRequest r) {
        String shape = r.shape(PARAMETERS);
        switch (r.method() + " " + shape) {
            case "GET schemas/types" -> {
                return RegistryResponse.ok(RegistryJson.strings(List.of("AVRO")));
            }
            case "GET schemas/ids/*" -> {
                return RegistryResponse.ok(RegistryJson.schema(store.schemaById(id(r))));
            }
            case "GET schemas/ids/*/schema" -> {
                return RegistryResponse.raw(store.schemaById(id(r)).canonical());
            }
            case "GET schemas/ids/*/subjects" -> {
                Set<String> subjects = new LinkedHashSet<>();
                store.usages(id(r), r.flag("deleted")).forEach(v -> subjects.add(v.subject()));
                return RegistryResponse.ok(RegistryJson.strings(subjects));
            }
            case "GET schemas/ids/*/versions" -> {
                ArrayNode versions = RegistryJson.MAPPER.createArrayNode();
                for (SubjectVersion usage : store.usages(id(r), r.flag("deleted"))) {
                    versions.addObject()
                            .put("subject", usage.subject())
                            .put("version", usage.version());
                }
                return RegistryResponse.ok(versions);
            }
            default -> throw r.unrouted(shape, SHAPES);
        }
    }

    private static int id(RegistryRequest r) {
        String text = r.segment(2);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw RegistryError.schemaNotFound("'" + text + "' is not a schema id");
        }
    }
}
