package dev.substrate.schemas.registry;

import java.util.List;

/**
 * The registry's answer to "could this schema be registered under the subject?", with the checker's
 * messages explaining each incompatibility (empty when compatible).
 */
public record CompatibilityCheck(boolean compatible, List<String> messages) {
    public CompatibilityCheck {
        messages = messages == null ? List.of() : List.copyOf(messages);
    }
}
