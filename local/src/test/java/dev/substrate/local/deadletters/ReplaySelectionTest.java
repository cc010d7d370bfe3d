package dev.substrate.local.deadletters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReplaySelectionTest {

    private static final Instant T = Instant.parse("2026-11-27T10:00:00Z");

    @Test
    void selectsByReasonRuleAmongSeveralAndTime() {
        ReplaySelection rule =
                new ReplaySelection(DeadLetterReason.QUALITY_RULE_FAILED, "b", T.minusSeconds(1));

        assertThat(rule.selects(dead(DeadLetterReason.QUALITY_RULE_FAILED, "a,b", T))).isTrue();
        assertThat(rule.selects(dead(DeadLetterReason.QUALITY_RULE_FAILED, "b", T))).isTrue();
        assertThat(rule.selects(dead(DeadLetterReason.QUALITY_RULE_FAILED, "ab", T))).isFalse();
        assertThat(rule.selects(dead(DeadLetterReason.QUALITY_RULE_FAILED, null, T))).isFalse();
        assertThat(rule.selects(dead(DeadLetterReason.QUALITY_RULE_FAILED, "b", T.minusSeconds(2))))
                .as("before --since")
                .isFalse();
        assertThat(rule.selects(dead(DeadLetterReason.UNKNOWN_SCHEMA_ID, null, T))).isFalse();
        assertThat(
                        new ReplaySelection(DeadLetterReason.UNKNOWN_SCHEMA_ID, null, null)
                                .selects(dead(DeadLetterReason.UNKNOWN_SCHEMA_ID, null, T)))
                .isTrue();
        assertThat(rule.describe())
                .isEqualTo(
                        "reason QUALITY_RULE_FAILED, rule b, dead-lettered since"
                                + " 2026-11-27T09:59:59Z");
    }

    @Test
    void refusesWhatCannotBeMeant() {
        assertThatThrownBy(() -> new ReplaySelection(DeadLetterReason.TOMBSTONE, null, null))
                .hasMessageContaining("Tombstones cannot be replayed");
        assertThatThrownBy(() -> new ReplaySelection(DeadLetterReason.UNKNOWN_SCHEMA_ID, "r", null))
                .hasMessageContaining("--reason QUALITY_RULE_FAILED");
    }

    private static DeadLetter dead(DeadLetterReason reason, String rule, Instant at) {
        return DeadLetter.newBuilder()
                .setSourceTopic("substrate.gpu-samples")
                .setSourcePartition(0)
                .setSourceOffset(1)
                .setSourceTimestamp(at)
                .setDeadLetteredAt(at)
                .setReason(reason)
                .setRule(rule)
                .setMessage("m")
                .build();
    }
}
