package dev.substrate.operators.policies;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry side of the unapproved-model policy on a fresh start: invocations that arrive before
 * the registry records of earlier event time are held until the registry's watermark says it is
 * loaded, then judged by the registry as it stood at their event time.
 */
class ModelApprovalFunctionTest {

    private static final Instant T0 = Instant.parse("2026-11-03T12:00:00Z");
    private static final String MODEL = "qwen2.5-32b";

    private KeyedBroadcastOperatorTestHarness<String, PolicySignal, ModelApproval, PolicySignal>
            harness;

    @BeforeEach
    void open() throws Exception {
        harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new ModelApprovalFunction(),
                        s -> s.principal,
                        Types.STRING,
                        ModelApprovalFunction.REGISTRY);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    @Test
    void invocationsBeforeTheRegistryLoadsWaitForItAndAreJudgedByIt() throws Exception {
        harness.processElement(invocation("a", 1, "2.5.1"), at(1));
        harness.processElement(invocation("b", 2, "2.5.1"), at(2));
        harness.processElement(invocation("c", 7, "2.5.1"), at(7));
        harness.processElement(invocation("a", 8, "2.5.0-rc"), at(8));
        // The invocations' watermark is far ahead, but the registry's has not moved: a registry
        // still loading judges nothing (the defect judged all of these unapproved).
        harness.processWatermark(at(30));
        assertThat(harness.extractOutputValues()).isEmpty();

        // The registry's records arrive after the invocations, with earlier event times.
        harness.processBroadcastElement(
                new ModelApproval(
                        MODEL, "2.5.1", true, T0.minus(Duration.ofDays(1)).toEpochMilli()),
                T0.minus(Duration.ofDays(1)).toEpochMilli());
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.processBroadcastElement(new ModelApproval(MODEL, "2.5.1", false, at(5)), at(5));
        // The registry as it stood at start is in: its watermark goes to the end of time.
        harness.processBroadcastWatermark(Watermark.MAX_WATERMARK);

        assertThat(judged())
                .containsExactlyEntriesOf(
                        new TreeMap<>(
                                Map.of(
                                        "invoke-a-1", true,
                                        "invoke-b-2", true,
                                        "invoke-c-7", false,
                                        "invoke-a-8", false)));
        assertThat(harness.extractOutputStreamRecords())
                .as("each invocation keeps its event time")
                .allSatisfy(r -> assertThat(r.getTimestamp()).isEqualTo(r.getValue().timestamp));
        assertThat(harness.numEventTimeTimers()).as("nothing held once judged").isZero();
    }

    @Test
    void invocationsAreHeldOnlyUntilTheWatermarkPassesTheirTime() throws Exception {
        harness.processBroadcastElement(
                new ModelApproval(
                        MODEL, "2.5.1", true, T0.minus(Duration.ofDays(1)).toEpochMilli()),
                T0.minus(Duration.ofDays(1)).toEpochMilli());
        harness.processBroadcastWatermark(Watermark.MAX_WATERMARK);
        harness.processWatermark(at(1));
        harness.processElement(invocation("a", 2, "2.5.1"), at(2));
        harness.processElement(invocation("b", 4, "2.5.1"), at(4));
        assertThat(harness.extractOutputValues()).isEmpty();

        harness.processWatermark(at(3));
        assertThat(judged()).containsOnlyKeys("invoke-a-2");

        // A revocation read after start applies to the invocations judged from then on.
        harness.processBroadcastElement(new ModelApproval(MODEL, "2.5.1", false, at(3)), at(3));
        harness.processWatermark(at(4));
        assertThat(judged()).containsEntry("invoke-a-2", true).containsEntry("invoke-b-4", false);

        // A late invocation is not held: the CEP operator downstream counts it as late.
        harness.processElement(invocation("c", 1, "2.5.1"), at(1));
        assertThat(judged()).containsEntry("invoke-c-1", true);
    }

    private Map<String, Boolean> judged() {
        Map<String, Boolean> judged = new TreeMap<>();
        for (PolicySignal s : harness.extractOutputValues()) {
            judged.put(s.eventId, s.modelApproved);
        }
        return judged;
    }

    private static long at(int minute) {
        return T0.plus(Duration.ofMinutes(minute)).toEpochMilli();
    }

    private static PolicySignal invocation(String principal, int minute, String version) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.AUDIT;
        s.eventId = "invoke-" + principal + "-" + minute;
        s.timestamp = at(minute);
        s.principal = principal;
        s.action = "MODEL_INVOKE";
        s.outcome = "ALLOWED";
        s.model = MODEL;
        s.modelVersion = version;
        return s;
    }
}
