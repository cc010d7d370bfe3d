package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.embedded.registry.RegistryState.Visibility;
import java.util.Set;

/**
 * {@code /subjects}: list subjects, register and look up schemas, read, list and delete versions,
 * and list the schemas that reference a version.
 */
final class SubjectsResource {

    private static final Set<Integer> PARAMETERS = Set.of(1, 3);
    private static final Set<String> SHAPES =
            Set.of(
                    "subjects",
                    "subjects/*",
                    "subjects/*/versions",
                    "subjects/*/versions/*",
                    "subjects/*/versions/*/schema",
                    "subjects/*/versions/*/referencedby");

    private final SchemaStore store;

    SubjectsResource(SchemaStore store) {
        this.store = store;
    }

    RegistryResponse handle(RegistryRequest r) {
        String shape = r.shape(PARAMETERS);
        boolean deleted = r.flag("deleted");
        switch (r.method() + " " + shape) {
            case "GET subjects" -> {
                return RegistryResponse.ok(
                        RegistryJson.strings(
                                store.subjects(Visibility.of(deleted, r.flag("deletedOnly")))));
            }
            case "POST subjects/*" -> {
                SchemaRequest request = SchemaRequest.from(r.body());
                return RegistryResponse.ok(
                        RegistryJson.version(store.lookup(r.segment(1), request, deleted)));
            }
            case "DELETE subjects/*" -> {
                return RegistryResponse.ok(
                        RegistryJson.ints(store.deleteSubject(r.segment(1), r.flag("permanent"))));
            }
            case "GET subjects/*/versions" -> {
                return RegistryResponse.ok(
                        RegistryJson.ints(
                                store.versions(
                                        r.segment(1),
                                        Visibility.of(deleted, r.flag("deletedOnly")))));
            }
            case "POST subjects/*/versions" -> {
                SchemaRequest request = SchemaRequest.from(r.body());
                ObjectNode body = RegistryJson.object();
                body.put("id", store.register(r.segment(1), request));
                return RegistryResponse.ok(body);
            }
            case "GET subjects/*/versions/*" -> {
                return RegistryResponse.ok(
                        RegistryJson.version(store.version(r.segment(1), r.segment(3), deleted)));
            }
            case "DELETE subjects/*/versions/*" -> {
                int version = store.deleteVersion(r.segment(1), r.segment(3), r.flag("permanent"));
                return RegistryResponse.raw(Integer.toString(version));
            }
            case "GET subjects/*/versions/*/schema" -> {
                return RegistryResponse.raw(
                        store.version(r.segment(1), r.segment(3), deleted).schema().canonical());
            }
            case "GET subjects/*/versions/*/referencedby" -> {
                return RegistryResponse.ok(
                        RegistryJson.ints(store.referencedBy(r.segment(1), r.segment(3), deleted)));
            }
            default -> throw r.unrouted(shape, SHAPES);
        }
    }
}
