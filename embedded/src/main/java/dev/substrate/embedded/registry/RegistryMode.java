package dev.substrate.embedded.registry;

import java.util.Locale;

/**
 * What the registry, or one subject, accepts (Confluent's {@code /mode} resource): normal
 * registrations, nothing that writes, or imports that keep the ids and versions of another
 * registry.
 */
enum RegistryMode {
    /** Registrations assign ids and versions; the default. */
    READWRITE,
    /** Lookups only: registrations, deletions and configuration changes are refused (42205). */
    READONLY,
    /**
     * Registrations must name their {@code id} (and may name their {@code version}), as migration
     * tools copying another registry do; compatibility is not checked.
     */
    IMPORT;

    /** Parses a mode as the REST API spells it (case-insensitive); 42204 when it is none. */
    static RegistryMode parse(String name) {
        if (name != null) {
            String normalized = name.trim().toUpperCase(Locale.ROOT);
            for (RegistryMode mode : values()) {
                if (mode.name().equals(normalized)) {
                    return mode;
                }
            }
        }
        throw RegistryError.invalidMode(name);
    }
}
