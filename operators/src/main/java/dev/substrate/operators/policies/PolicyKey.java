package dev.substrate.operators.policies;

import java.util.Locale;

/** What a policy correlates on: the events of one key form its incidents. */
public enum PolicyKey {
    PRINCIPAL,
    TENANT,
    GPU,
    NODE;

    /** The key of {@code signal}, or null when it has none (the signal is not for this policy). */
    public String of(PolicySignal signal) {
        return switch (this) {
            case PRINCIPAL -> signal.principal;
            case TENANT -> signal.tenant;
            case GPU -> signal.gpu;
            case NODE -> signal.node;
        };
    }

    /** The name in the policy file and in {@code PolicyViolation.key_kind}. */
    public String fileName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
