package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;

/**
 * {@code /compatibility}: whether a schema could be registered under a subject now, or is
 * compatible with one of its versions, with the checker's messages when {@code verbose=true}.
 */
final class CompatibilityResource {

    private static final Set<Integer> PARAMETERS = Set.of(2, 4);
    private static final Set<String> SHAPES =
            Set.of("compatibility/subjects/*/versions", "compatibility/subjects/*/versions/*");

    private final SchemaStore store;

    CompatibilityResource(SchemaStore store) {
        this.store = store;
    }

    RegistryResponse handle(RegistryRequest r) {
        String shape = r.shape(PARAMETERS);
        switch (r.method() + " " + shape) {
            case "POST compatibility/subjects/*/versions" -> {
                return check(r, "latest");
            }
            case "POST compatibility/subjects/*/versions/*" -> {
                return check(r, r.segment(4));
            }
            default -> throw r.unrouted(shape, SHAPES);
        }
    }

    private RegistryResponse check(RegistryRequest r, String version) {
        SchemaRequest request = SchemaRequest.from(r.body());
        List<String> messages = store.testCompatibility(r.segment(2), version, request);
        ObjectNode body = RegistryJson.object().put("is_compatible", messages.isEmpty());
        if (r.flag("verbose")) {
            body.set("messages", RegistryJson.strings(messages));
        }
        return RegistryResponse.ok(body);
    }
}
