package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * {@code /mode}: the global and per-subject modes (READWRITE, READONLY, IMPORT), as Confluent
 * serves them. {@code PUT} echoes the request; {@code DELETE} answers the mode it removed.
 */
final class ModeResource {

    private static final Set<Integer> PARAMETERS = Set.of(1);
    private static final Set<String> SHAPES = Set.of("mode", "mode/*");

    private final SchemaStore store;

    ModeResource(SchemaStore store) {
        this.store = store;
    }

    RegistryResponse handle(RegistryRequest r) {
        String shape = r.shape(PARAMETERS);
        switch (r.method() + " " + shape) {
            case "GET mode" -> {
                return mode(store.globalMode());
            }
            case "PUT mode" -> {
                RegistryMode mode = modeFrom(r);
                store.setMode(null, mode, r.flag("force"));
                return mode(mode);
            }
            case "DELETE mode" -> {
                return mode(store.deleteGlobalMode());
            }
            case "GET mode/*" -> {
                return mode(store.subjectMode(r.segment(1), r.flag("defaultToGlobal")));
            }
            case "PUT mode/*" -> {
                RegistryMode mode = modeFrom(r);
                store.setMode(r.segment(1), mode, r.flag("force"));
                return mode(mode);
            }
            case "DELETE mode/*" -> {
                return mode(store.deleteSubjectMode(r.segment(1)));
            }
            default -> throw r.unrouted(shape, SHAPES);
        }
    }

    private static RegistryResponse mode(RegistryMode mode) {
        return RegistryResponse.ok(RegistryJson.object().put("mode", mode.name()));
    }

    private static RegistryMode modeFrom(RegistryRequest r) {
        JsonNode mode = r.body().get("mode");
        if (mode == null || !mode.isTextual()) {
            throw RegistryError.invalidMode(mode == null ? "(missing)" : mode.toString());
        }
        return RegistryMode.parse(mode.asText());
    }
}
