package dev.substrate.operators.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.PolicySeverity;
import dev.substrate.events.PolicyViolation;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Repeats within the cool-down are counted on the violation they repeat, never dropped silently.
 */
class ViolationCoolDownFunctionTest {

    private static final long MINUTE = 60_000;

    @Test
    void repeatsWithinTheCoolDownAreCountedOnTheFirstViolation() throws Exception {
        try (var harness = harness()) {
            harness.processElement(record(violation("k", 0)));
            harness.processElement(record(violation("k", 2 * MINUTE)));
            harness.processElement(record(violation("k", 9 * MINUTE)));
            harness.processElement(record(violation("other", 3 * MINUTE)));
            harness.processWatermark(10 * MINUTE);
            // After the cool-down a repeat is a violation of its own.
            harness.processElement(record(violation("k", 11 * MINUTE)));
            harness.processWatermark(30 * MINUTE);

            List<String> out =
                    harness.extractOutputValues().stream()
                            .map(
                                    v ->
                                            v.getKey()
                                                    + "@"
                                                    + v.getLastEventAt().toEpochMilli() / MINUTE
                                                    + " r"
                                                    + v.getRevision()
                                                    + " s"
                                                    + v.getSuppressedCount())
                            .collect(Collectors.toList());
            assertThat(out)
                    .containsExactly("k@0 r1 s0", "other@3 r1 s0", "k@0 r2 s2", "k@11 r1 s0");
            assertThat(harness.numKeyedStateEntries())
                    .as("state cleared after cool-downs")
                    .isZero();
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, PolicyViolation, PolicyViolation>
            harness() throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new ViolationCoolDownFunction(Duration.ofMinutes(10))),
                        PolicyViolation::getKey,
                        Types.STRING);
        harness.open();
        return harness;
    }

    private static StreamRecord<PolicyViolation> record(PolicyViolation v) {
        return new StreamRecord<>(v, v.getLastEventAt().toEpochMilli());
    }

    private static PolicyViolation violation(String key, long at) {
        return PolicyViolation.newBuilder()
                .setViolationId("p-v1:" + key + "@" + at)
                .setPolicyId("p")
                .setPolicyVersion(1)
                .setSeverity(PolicySeverity.HIGH)
                .setKey(key)
                .setKeyKind("principal")
                .setFirstEventAt(Instant.ofEpochMilli(at))
                .setLastEventAt(Instant.ofEpochMilli(at))
                .setNarrative("n")
                .setDetectedAt(Instant.ofEpochMilli(at))
                .setDetectionLatencyMs(0)
                .build();
    }
}
