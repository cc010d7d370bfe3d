package dev.substrate.operators.policies;

import dev.substrate.events.PolicySeverity;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * One policy of the policy file: what it detects (a template and its thresholds), how bad it is,
 * and how long repeats on the same key are suppressed after a violation.
 *
 * @param version raised by the author on every change; the CEP operator's uid carries it, so a
 *     changed policy starts with fresh state and the others keep their partial matches
 */
public record Policy(
        String id,
        int version,
        PolicySeverity severity,
        String description,
        PolicyTemplate template,
        PolicyThresholds thresholds,
        Duration coolDown)
        implements Serializable {

    public Policy {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(thresholds, "thresholds");
        Objects.requireNonNull(coolDown, "coolDown");
    }

    public PolicyKey key() {
        return template.key();
    }

    /** The uid of the policy's CEP operator: {@code policy-<id>-v<version>}. */
    public String uid() {
        return "policy-" + id + "-v" + version;
    }
}
