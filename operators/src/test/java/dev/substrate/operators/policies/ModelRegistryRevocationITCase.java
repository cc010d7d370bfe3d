package dev.substrate.operators.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.PolicyViolation;
import dev.substrate.testkit.MiniClusters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The approved-model registry as a broadcast stream: a version approved, then revoked mid-stream
 * (in event time). Invocations after the revocation in event time are violations, those before it
 * are not; a version never approved is a violation. The registry is read only after every
 * invocation has passed (a fresh start: the registry topic still loading), so the invocations must
 * wait for the registry's watermark rather than meet a registry that is half read.
 */
class ModelRegistryRevocationITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final int INVOCATIONS = 20;

    private static final CountDownLatch INVOCATIONS_PASSED = new CountDownLatch(INVOCATIONS);

    private static final Instant T0 = Instant.parse("2026-11-03T12:00:00Z");

    /** Lets the registry's changes go once every invocation has passed. */
    private static ModelApproval afterTheInvocations(ModelApproval change)
            throws InterruptedException {
        assertThat(INVOCATIONS_PASSED.await(60, TimeUnit.SECONDS)).isTrue();
        return change;
    }

    @Test
    void invocationsAfterTheRevocationAreViolationsAndBeforeItNot() throws Exception {
        Policy policy =
                PolicyFile.load(PolicyFile.DEFAULT).stream()
                        .filter(p -> p.template() == PolicyTemplate.UNAPPROVED_MODEL)
                        .findFirst()
                        .orElseThrow();
        long revokedAt = T0.plus(Duration.ofMinutes(10)).toEpochMilli();
        List<PolicySignal> invocations = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int minute = 0; minute < INVOCATIONS; minute++) {
            // One principal per invocation: the cool-down does not fold them together.
            PolicySignal s = new PolicySignal();
            s.source = PolicySignal.Source.AUDIT;
            s.eventId = "invoke-" + minute;
            s.timestamp = T0.plus(Duration.ofMinutes(minute)).toEpochMilli();
            s.principal = "p" + minute;
            s.action = "MODEL_INVOKE";
            s.outcome = "ALLOWED";
            s.model = "qwen2.5-32b";
            s.modelVersion = minute == 3 ? "2.5.0-rc" : "2.5.1";
            invocations.add(s);
            if (minute == 3 || s.timestamp >= revokedAt) {
                expected.add(s.eventId);
            }
        }
        List<ModelApproval> registry =
                List.of(
                        new ModelApproval(
                                "qwen2.5-32b",
                                "2.5.1",
                                true,
                                T0.minus(Duration.ofDays(1)).toEpochMilli()),
                        new ModelApproval("qwen2.5-32b", "2.5.1", false, revokedAt));

        StreamExecutionEnvironment env = PolicyDetectorITCase.environment();
        DataStream<PolicySignal> input =
                env.fromData(invocations, TypeInformation.of(PolicySignal.class))
                        .map(
                                signal -> {
                                    INVOCATIONS_PASSED.countDown();
                                    return signal;
                                })
                        .returns(TypeInformation.of(PolicySignal.class))
                        .setParallelism(1)
                        .assignTimestampsAndWatermarks(
                                PolicyDetectorITCase.everyEvent(Duration.ofSeconds(5)));
        DataStream<ModelApproval> changes =
                env.fromData(registry, TypeInformation.of(ModelApproval.class))
                        .assignTimestampsAndWatermarks(ModelApprovalFunction.registryWatermarks())
                        .map(ModelRegistryRevocationITCase::afterTheInvocations)
                        .returns(TypeInformation.of(ModelApproval.class))
                        .setParallelism(1);
        DataStream<PolicyViolation> violations =
                PolicyDetector.builder()
                        .policies(List.of(policy))
                        .registry(changes)
                        .build()
                        .addTo(input)
                        .violations();

        List<String> evidence = new ArrayList<>();
        try (CloseableIterator<PolicyViolation> it = violations.executeAndCollect("registry")) {
            it.forEachRemaining(
                    v -> {
                        assertThat(v.getNarrative()).contains("qwen2.5-32b");
                        evidence.addAll(v.getEvidence());
                    });
        }
        assertThat(evidence).containsExactlyInAnyOrderElementsOf(expected);
    }
}
