package dev.substrate.local.deadletters;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Which dead letters a replay re-produces: those of one reason, optionally of one quality rule
 * (among the rules a dead letter names), optionally dead-lettered at or after a time.
 *
 * @param reason the dead letters' reason
 * @param rule a quality rule's name, for {@link DeadLetterReason#QUALITY_RULE_FAILED} only; null
 *     for every rule
 * @param since the earliest {@code dead_lettered_at}; null for all
 */
public record ReplaySelection(
        DeadLetterReason reason, @Nullable String rule, @Nullable Instant since) {

    public ReplaySelection {
        Objects.requireNonNull(reason, "reason");
        if (reason == DeadLetterReason.TOMBSTONE) {
            throw new IllegalArgumentException(
                    "Tombstones cannot be replayed: a tombstone has no value, and would only be"
                            + " dead-lettered again. Substrate's input topics hold events; delete"
                            + " markers belong to a compacted topic of their own.");
        }
        if (rule != null && reason != DeadLetterReason.QUALITY_RULE_FAILED) {
            throw new IllegalArgumentException(
                    "--rule "
                            + rule
                            + " selects dead letters of quality rules: use it with --reason "
                            + DeadLetterReason.QUALITY_RULE_FAILED
                            + ", not "
                            + reason);
        }
        if (rule != null && rule.isBlank()) {
            throw new IllegalArgumentException("--rule must name a rule");
        }
    }

    /** Whether {@code deadLetter} is one to replay. */
    public boolean selects(DeadLetter deadLetter) {
        if (deadLetter.getReason() != reason) {
            return false;
        }
        if (since != null && deadLetter.getDeadLetteredAt().isBefore(since)) {
            return false;
        }
        // A record refused by several rules names them all: "a,b".
        return rule == null
                || (deadLetter.getRule() != null
                        && Arrays.asList(deadLetter.getRule().split(",")).contains(rule));
    }

    /** For a person: {@code reason QUALITY_RULE_FAILED, rule x, since 2026-11-27T10:00:00Z}. */
    public String describe() {
        return "reason "
                + reason
                + (rule == null ? "" : ", rule " + rule)
                + (since == null ? "" : ", dead-lettered since " + since);
    }
}
