package dev.substrate.schemas.registry;

import java.util.Locale;

/**
 * The seven compatibility levels of the Confluent Schema Registry: which earlier versions of a
 * subject a new schema is checked against, and in which reading direction.
 */
public enum CompatibilityLevel {
    /** No check: any schema may follow any other. */
    NONE,
    /** Consumers on the new schema can read data written with the latest schema. */
    BACKWARD,
    /** Consumers on the new schema can read data written with every earlier schema. */
    BACKWARD_TRANSITIVE,
    /** Consumers on the latest schema can read data written with the new schema. */
    FORWARD,
    /** Consumers on every earlier schema can read data written with the new schema. */
    FORWARD_TRANSITIVE,
    /** Both {@link #BACKWARD} and {@link #FORWARD} against the latest schema. */
    FULL,
    /** Both directions against every earlier schema. */
    FULL_TRANSITIVE;

    /** Whether the new schema, as reader, must read data of earlier schemas. */
    public boolean checksBackward() {
        return this == BACKWARD || this == BACKWARD_TRANSITIVE || isFull();
    }

    /** Whether earlier schemas, as readers, must read data of the new schema. */
    public boolean checksForward() {
        return this == FORWARD || this == FORWARD_TRANSITIVE || isFull();
    }

    /** Whether the check runs against every earlier version rather than only the latest. */
    public boolean isTransitive() {
        return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
    }

    private boolean isFull() {
        return this == FULL || this == FULL_TRANSITIVE;
    }

    /**
     * Parses a level name as the registry spells it (case-insensitive).
     *
     * @throws IllegalArgumentException naming the valid levels when {@code name} is none of them
     */
    public static CompatibilityLevel parse(String name) {
        if (name != null) {
            String normalized = name.trim().toUpperCase(Locale.ROOT);
            for (CompatibilityLevel level : values()) {
                if (level.name().equals(normalized)) {
                    return level;
                }
            }
        }
        throw new IllegalArgumentException(
                "Unknown compatibility level '"
                        + name
                        + "'; valid levels are "
                        + java.util.Arrays.toString(values()));
    }
}
