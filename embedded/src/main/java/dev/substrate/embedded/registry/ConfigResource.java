package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.substrate.schemas.registry.CompatibilityLevel;
import java.util.Set;

/** {@code /config}: the global and per-subject compatibility levels. */
final class ConfigResource {

    private static final Set<Integer> PARAMETERS = Set.of(1);
    private static final Set<String> SHAPES = Set.of("config", "config/*");

    private final SchemaStore store;

    ConfigResource(SchemaStore store) {
        this.store = store;
    }

    RegistryResponse handle(RegistryRequest r) {
        String shape = r.shape(PARAMETERS);
        switch (r.method() + " " + shape) {
            case "GET config" -> {
                return level("compatibilityLevel", store.globalLevel());
            }
            case "PUT config" -> {
                CompatibilityLevel level = levelFrom(r);
                store.setLevel(null, level);
                return level("compatibility", level);
            }
            case "GET config/*" -> {
                return level(
                        "compatibilityLevel",
                        store.subjectLevel(r.segment(1), r.flag("defaultToGlobal")));
            }
            case "PUT config/*" -> {
                CompatibilityLevel level = levelFrom(r);
                store.setLevel(r.segment(1), level);
                return level("compatibility", level);
            }
            case "DELETE config/*" -> {
                return level("compatibilityLevel", store.deleteLevel(r.segment(1)));
            }
            default -> throw r.unrouted(shape, SHAPES);
        }
    }

    private static RegistryResponse level(String field, CompatibilityLevel level) {
        return RegistryResponse.ok(RegistryJson.object().put(field, level.name()));
    }

    private static CompatibilityLevel levelFrom(RegistryRequest r) {
        JsonNode level = r.body().get("compatibility");
        if (level == null || !level.isTextual()) {
            throw RegistryError.invalidCompatibilityLevel(
                    level == null ? "(missing)" : level.toString());
        }
        try {
            return CompatibilityLevel.parse(level.asText());
        } catch (IllegalArgumentException e) {
            throw RegistryError.invalidCompatibilityLevel(level.asText());
        }
    }
}
