package dev.substrate.operators.telemetry.health;

import static dev.substrate.operators.telemetry.health.TestSamples.sample;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeHealthFunctionTest {

    private static final long SECOND = 1000;
    private static final long MINUTE = 60 * SECOND;

    /** Defaults without the wall-clock fallback, so only event time decides. */
    private static final NodeHealthConfig EVENT_TIME_ONLY =
            NodeHealthConfig.defaults().withWallClockTimeout(null);

    @Test
    void firstSampleOfANodePublishesItUp() throws Exception {
        try (var harness = harness(EVENT_TIME_ONLY)) {
            harness.processElement(sample("n1", 0, 1_000).build(), 1_000);

            List<NodeHealth> out = harness.extractOutputValues();
            assertThat(out).hasSize(1);
            NodeHealth up = out.get(0);
            assertThat(up.getStatus()).isEqualTo(NodeStatus.UP);
            assertThat(up.getPreviousStatus()).isNull();
            assertThat(up.getScore()).isEqualTo(100);
            assertThat(up.getReasons()).isEmpty();
            assertThat(up.getCluster()).isEqualTo("c1");
            assertThat(up.getNode()).isEqualTo("n1");
            assertThat(up.getRegion()).isEqualTo(TestSamples.REGION);
            assertThat(up.getSince()).isEqualTo(Instant.ofEpochMilli(1_000));
            assertThat(up.getLastSampleAt()).isEqualTo(Instant.ofEpochMilli(1_000));
        }
    }

    @Test
    void publishesOnlyChanges() throws Exception {
        try (var harness = harness(EVENT_TIME_ONLY)) {
            for (int i = 0; i < 20; i++) {
                harness.processElement(sample("n1", i % 8, i * 5 * SECOND).build(), i * 5 * SECOND);
            }
            assertThat(harness.extractOutputValues()).hasSize(1);
        }
    }

    @Test
    void silentNodeGoesDownWhenOtherNodesMoveTheWatermarkPastItsDeadline() throws Exception {
        try (var harness = harness(EVENT_TIME_ONLY)) {
            harness.processElement(sample("silent", 0, 0).build(), 0);
            for (long t = 0; t <= 40 * SECOND; t += 10 * SECOND) {
                harness.processElement(sample("busy", 0, t).build(), t);
            }
            harness.processWatermark(30 * SECOND - 1);
            assertThat(statuses(harness)).containsExactly("c1/silent UP", "c1/busy UP");

            harness.processWatermark(30 * SECOND);
            List<NodeHealth> out = harness.extractOutputValues();
            assertThat(out).hasSize(3);
            NodeHealth down = out.get(2);
            assertThat(down.getNode()).isEqualTo("silent");
            assertThat(down.getStatus()).isEqualTo(NodeStatus.DOWN);
            assertThat(down.getPreviousStatus()).isEqualTo(NodeStatus.UP);
            assertThat(down.getScore()).isZero();
            assertThat(down.getChangedAt()).isEqualTo(Instant.ofEpochMilli(30 * SECOND));
            assertThat(down.getSince()).isEqualTo(Instant.ofEpochMilli(30 * SECOND));
            assertThat(down.getLastSampleAt()).isEqualTo(Instant.ofEpochMilli(0));
            assertThat(down.getReasons()).containsExactly("heartbeat lost: no samples for 30 s");

            // The busy node keeps reporting: no false alarm as the watermark moves on.
            harness.processElement(sample("busy", 0, 50 * SECOND).build(), 50 * SECOND);
            harness.processWatermark(45 * SECOND);
            harness.processElement(sample("silent", 3, 55 * SECOND).build(), 55 * SECOND);

            out = harness.extractOutputValues();
            assertThat(out).hasSize(4);
            NodeHealth back = out.get(3);
            assertThat(back.getNode()).isEqualTo("silent");
            assertThat(back.getStatus()).isEqualTo(NodeStatus.UP);
            assertThat(back.getPreviousStatus()).isEqualTo(NodeStatus.DOWN);
            assertThat(back.getScore()).isEqualTo(100);
            assertThat(back.getSince()).isEqualTo(Instant.ofEpochMilli(55 * SECOND));
        }
    }

    @Test
    void aGapSeenOnArrivalPublishesTheSameDownAsTheTimer() throws Exception {
        List<NodeHealth> byTimer;
        try (var harness = harness(EVENT_TIME_ONLY)) {
            harness.processElement(sample("n1", 0, 0).build(), 0);
            harness.processWatermark(40 * SECOND);
            harness.processElement(sample("n1", 0, 45 * SECOND).build(), 45 * SECOND);
            byTimer = harness.extractOutputValues();
        }
        List<NodeHealth> byGap;
        try (var harness = harness(EVENT_TIME_ONLY)) {
            // The watermark lags (a slow partition): the node's return arrives first.
            harness.processElement(sample("n1", 0, 0).build(), 0);
            harness.processElement(sample("n1", 0, 45 * SECOND).build(), 45 * SECOND);
            harness.processWatermark(40 * SECOND);
            byGap = harness.extractOutputValues();
        }
        assertThat(byGap)
                .extracting(NodeHealth::getStatus)
                .containsExactly(NodeStatus.UP, NodeStatus.DOWN, NodeStatus.UP);
        assertThat(byGap).isEqualTo(byTimer);
    }

    @Test
    void endOfInputIsNotAHeartbeatLoss() throws Exception {
        try (var harness = harness(EVENT_TIME_ONLY)) {
            harness.processElement(sample("n1", 0, 0).build(), 0);
            harness.processWatermark(Long.MAX_VALUE);
            assertThat(statuses(harness)).containsExactly("c1/n1 UP");
        }
    }

    @Test
    void wallClockFallbackTakesANodeDownWhenTheWholeStreamStops() throws Exception {
        NodeHealthConfig config =
                NodeHealthConfig.defaults().withWallClockTimeout(Duration.ofMinutes(1));
        try (var harness = harness(config)) {
            harness.setProcessingTime(0);
            harness.processElement(sample("n1", 0, 5_000).build(), 5_000);
            harness.setProcessingTime(30 * SECOND);
            harness.processElement(sample("n1", 0, 15_000).build(), 15_000);

            // 60 s after the first arrival, but only 30 s after the last one.
            harness.setProcessingTime(60 * SECOND);
            assertThat(statuses(harness)).containsExactly("c1/n1 UP");

            harness.setProcessingTime(90 * SECOND);
            List<NodeHealth> out = harness.extractOutputValues();
            assertThat(out).hasSize(2);
            NodeHealth down = out.get(1);
            assertThat(down.getStatus()).isEqualTo(NodeStatus.DOWN);
            // In event time the node went down one heartbeat timeout after its last sample.
            assertThat(down.getChangedAt()).isEqualTo(Instant.ofEpochMilli(45_000));
            assertThat(down.getReasons())
                    .containsExactly(
                            "heartbeat lost: no samples for 60 s of wall-clock time (event time"
                                    + " stalled)");
            assertThat(harness.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void restoringAfterDowntimeDoesNotTakeNodesDownOnTheWallClock() throws Exception {
        NodeHealthConfig config =
                NodeHealthConfig.defaults().withWallClockTimeout(Duration.ofMinutes(1));
        OperatorSubtaskState snapshot;
        try (var harness = harness(config)) {
            harness.setProcessingTime(0);
            harness.processElement(sample("n1", 0, 5_000).build(), 5_000);
            snapshot = harness.snapshot(1, 10 * SECOND);
        }
        try (var restored = harness(config, snapshot, 10 * MINUTE)) {
            // The restored timer (due at 60 s) fires at once; the task has only just started,
            // so the wall-clock silence counts from now.
            restored.setProcessingTime(10 * MINUTE + 1);
            assertThat(restored.extractOutputValues()).isEmpty();
            restored.setProcessingTime(11 * MINUTE);
            assertThat(restored.extractOutputValues()).isEmpty();

            restored.setProcessingTime(11 * MINUTE + 1);
            assertThat(restored.extractOutputValues())
                    .extracting(NodeHealth::getStatus)
                    .containsExactly(NodeStatus.DOWN);
        }
    }

    @ParameterizedTest(name = "xid {0} -> {1}")
    @CsvSource({
        "48, DRAIN, 40, double-bit ECC error (drain)",
        "64, DRAIN, 40, ECC page retirement or row remap failed (drain)",
        "74, DRAIN, 40, NVLink error (drain)",
        "79, DRAIN, 40, GPU has fallen off the bus (drain)",
        "94, DRAIN, 40, contained ECC error (drain)",
        "95, DRAIN, 40, uncontained ECC error (drain)",
        "63, WATCH, 85, ECC page retirement or row remap recorded (watch)",
        "92, WATCH, 85, high single-bit ECC error rate (watch)",
        "13, UP, 100, graphics engine exception (application) (no node action)",
        "31, UP, 100, GPU memory page fault (application) (no node action)",
        "43, UP, 100, GPU stopped processing (application) (no node action)",
        "45, UP, 100, preemptive cleanup after an application error (no node action)",
        "119, UP, 100, unclassified (no node action)"
    })
    void triagesXids(int xid, NodeStatus expected, int score, String description) throws Exception {
        try (var harness = harness(EVENT_TIME_ONLY)) {
            harness.processElement(sample("n1", 0, 0).build(), 0);
            harness.processElement(sample("n1", 2, 1_000).setXid(xid).build(), 1_000);

            List<NodeHealth> out = harness.extractOutputValues();
            assertThat(out).hasSize(2);
            NodeHealth change = out.get(1);
            assertThat(change.getStatus()).isEqualTo(expected);
            assertThat(change.getPreviousStatus()).isEqualTo(NodeStatus.UP);
            assertThat(change.getScore()).isEqualTo(score);
            assertThat(change.getReasons())
                    .containsExactly("xid " + xid + " on GPU-n1-2: " + description);
        }
    }

    @Test
    void drainEndsWhenTheXidIsNoLongerReportedForTheHold() throws Exception {
        NodeHealthConfig config =
                new NodeHealthConfig(
                        Duration.ofSeconds(30),
                        null,
                        Duration.ofHours(1),
                        85,
                        80,
                        Duration.ofSeconds(60),
                        Duration.ofMinutes(2),
                        Duration.ofMinutes(1),
                        XidTriage.defaults());
        try (var harness = harness(config)) {
            // The DCGM gauge repeats the last XID: the node drains while it is reported.
            for (long t = 0; t <= MINUTE; t += 10 * SECOND) {
                harness.processElement(sample("n1", 0, t).setXid(79).build(), t);
            }
            for (long t = MINUTE + 10 * SECOND; t <= 4 * MINUTE; t += 10 * SECOND) {
                harness.processElement(sample("n1", 0, t).build(), t);
            }
            List<NodeHealth> out = harness.extractOutputValues();
            assertThat(out)
                    .extracting(NodeHealth::getStatus)
                    .containsExactly(NodeStatus.DRAIN, NodeStatus.UP);
            assertThat(out.get(1).getChangedAt())
                    .isEqualTo(Instant.ofEpochMilli(3 * MINUTE + 10 * SECOND));
        }
    }

    @Test
    void sustainedHighTemperatureDegradesTheNodeUntilItCools() throws Exception {
        try (var harness = harness(EVENT_TIME_ONLY)) {
            // GPU 0 runs hot from 0 s; GPU 1 reports every 10 s too, cool until 70 s.
            for (long t = 0; t <= 50 * SECOND; t += 10 * SECOND) {
                harness.processElement(sample("n1", 0, t).setTemperatureC(86).build(), t);
                harness.processElement(sample("n1", 1, t + 1).setTemperatureC(70).build(), t + 1);
            }
            harness.processElement(
                    sample("n1", 0, 59 * SECOND).setTemperatureC(88).build(), 59 * SECOND);
            assertThat(statuses(harness)).containsExactly("c1/n1 UP");

            harness.processElement(
                    sample("n1", 1, 60 * SECOND).setTemperatureC(70).build(), 60 * SECOND);
            List<NodeHealth> out = harness.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(1).getStatus()).isEqualTo(NodeStatus.DEGRADED);
            assertThat(out.get(1).getScore()).isEqualTo(75);
            assertThat(out.get(1).getChangedAt()).isEqualTo(Instant.ofEpochMilli(60 * SECOND));
            assertThat(out.get(1).getReasons())
                    .containsExactly("GPU-n1-0 at or above 85.0 C for 60 s or more");

            // A second hot GPU lowers the score further but does not change the status.
            for (long t = 70 * SECOND; t <= 130 * SECOND; t += 10 * SECOND) {
                harness.processElement(sample("n1", 1, t).setTemperatureC(90).build(), t);
            }
            out = harness.extractOutputValues();
            assertThat(out).hasSize(3);
            assertThat(out.get(2).getStatus()).isEqualTo(NodeStatus.DEGRADED);
            assertThat(out.get(2).getScore()).isEqualTo(50);
            assertThat(out.get(2).getSince()).isEqualTo(Instant.ofEpochMilli(60 * SECOND));

            // Between the thresholds a GPU stays hot (hysteresis); below recovery it is cool.
            harness.processElement(
                    sample("n1", 0, 140 * SECOND).setTemperatureC(82).build(), 140 * SECOND);
            harness.processElement(
                    sample("n1", 1, 141 * SECOND).setTemperatureC(79).build(), 141 * SECOND);
            harness.processElement(
                    sample("n1", 0, 142 * SECOND).setTemperatureC(79).build(), 142 * SECOND);
            out = harness.extractOutputValues();
            assertThat(out).extracting(NodeHealth::getScore).containsExactly(100, 75, 50, 75, 100);
            assertThat(out.get(4).getStatus()).isEqualTo(NodeStatus.UP);
            assertThat(out.get(4).getPreviousStatus()).isEqualTo(NodeStatus.DEGRADED);
        }
    }

    @Test
    void drainTakesPrecedenceAndEveryReasonIsListed() throws Exception {
        try (var harness = harness(EVENT_TIME_ONLY)) {
            harness.processElement(sample("n1", 0, 0).setTemperatureC(90).build(), 0);
            harness.processElement(sample("n1", 1, MINUTE).setXid(48).build(), MINUTE);
            harness.processElement(sample("n1", 2, MINUTE).setXid(13).build(), MINUTE);

            List<NodeHealth> out = harness.extractOutputValues();
            NodeHealth last = out.get(out.size() - 1);
            assertThat(last.getStatus()).isEqualTo(NodeStatus.DRAIN);
            assertThat(last.getScore()).isEqualTo(100 - 60 - 25);
            assertThat(last.getReasons())
                    .containsExactly(
                            "GPU-n1-0 at or above 85.0 C for 60 s or more",
                            "xid 13 on GPU-n1-2: graphics engine exception (application) (no"
                                    + " node action)",
                            "xid 48 on GPU-n1-1: double-bit ECC error (drain)");
        }
    }

    @Test
    void stateOfANodeThatWentAwayIsDroppedAfterTheRetention() throws Exception {
        NodeHealthConfig config = NodeHealthConfig.defaults().withRetention(Duration.ofMinutes(10));
        try (var harness = harness(config)) {
            harness.setProcessingTime(0);
            harness.processElement(sample("gone", 0, 0).setTemperatureC(90).build(), 0);
            harness.processElement(sample("gone", 1, 1_000).setXid(63).build(), 1_000);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(3);

            harness.processWatermark(31 * SECOND);
            assertThat(harness.extractOutputValues())
                    .extracting(NodeHealth::getStatus)
                    .containsExactly(NodeStatus.UP, NodeStatus.WATCH, NodeStatus.DOWN);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(3);

            harness.processWatermark(10 * MINUTE + 999);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(3);
            harness.processWatermark(10 * MINUTE + 1_000);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
            // Dropping state publishes nothing: the last record already says DOWN.
            assertThat(harness.extractOutputValues()).hasSize(3);
        }
    }

    @Test
    void stateIsFlinkPojosNotKryo() {
        assertThat(TypeInformation.of(NodeHealthState.class)).isInstanceOf(PojoTypeInfo.class);
        assertThat(TypeInformation.of(XidSighting.class)).isInstanceOf(PojoTypeInfo.class);
    }

    private static List<String> statuses(
            KeyedOneInputStreamOperatorTestHarness<?, ?, NodeHealth> h) {
        return h.extractOutputValues().stream()
                .map(r -> r.getCluster() + "/" + r.getNode() + " " + r.getStatus())
                .toList();
    }

    static KeyedOneInputStreamOperatorTestHarness<String, GpuSample, NodeHealth> harness(
            NodeHealthConfig config) throws Exception {
        return harness(config, null, 0);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, GpuSample, NodeHealth> harness(
            NodeHealthConfig config, OperatorSubtaskState restoreFrom, long processingTime)
            throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new NodeHealthFunction(config)),
                        NodeHealthFunction::nodeKey,
                        Types.STRING);
        TestSamples.disableGenericTypes(harness);
        harness.setProcessingTime(processingTime);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }
}
