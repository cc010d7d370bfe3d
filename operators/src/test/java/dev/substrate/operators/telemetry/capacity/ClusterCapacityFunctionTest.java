package dev.substrate.operators.telemetry.capacity;

import static dev.substrate.operators.telemetry.health.TestSamples.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.operators.telemetry.health.TestSamples;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class ClusterCapacityFunctionTest {

    private static final long SECOND = 1000;
    private static final String H100 = "NVIDIA H100 80GB HBM3";

    /** Every 10 s; free below 5 % / 5 %; stale after 30 s; forgotten after 2 min. */
    private static final CapacityConfig CONFIG =
            new CapacityConfig(
                    Duration.ofSeconds(10),
                    5.0,
                    0.05,
                    Duration.ofSeconds(30),
                    Duration.ofMinutes(2));

    @Test
    void reportsFreeGpusMemoryHeadroomAndHealthyNodesEveryInterval() throws Exception {
        try (var harness = harness()) {
            harness.processElement2(health("n1", NodeStatus.UP, 1_000), 1_000);
            harness.processElement2(health("n2", NodeStatus.UP, 1_000), 1_000);
            // n1: GPU 0 idle, GPU 1 busy. n2: GPU 0 idle, reports no power limit.
            harness.processElement1(idle("n1", 0, 2_000).build(), 2_000);
            harness.processElement1(sample("n1", 1, 2_000).build(), 2_000);
            harness.processElement1(
                    idle("n2", 0, 3_000)
                            .setModel("NVIDIA A100-SXM4-80GB")
                            .setPowerLimitW(null)
                            .build(),
                    3_000);
            watermark(harness, 9_999);
            assertThat(harness.extractOutputValues()).isEmpty();

            watermark(harness, 10_000);
            List<ClusterCapacity> out = harness.extractOutputValues();
            assertThat(out).hasSize(1);
            ClusterCapacity capacity = out.get(0);
            assertThat(capacity.getCluster()).isEqualTo("c1");
            assertThat(capacity.getRegion()).isEqualTo(TestSamples.REGION);
            assertThat(capacity.getTimestamp()).isEqualTo(Instant.ofEpochMilli(10_000));
            assertThat(capacity.getTotalGpus()).isEqualTo(3);
            assertThat(capacity.getFreeGpus()).isEqualTo(2);
            assertThat(capacity.getFreeGpusByModel())
                    .isEqualTo(Map.of(H100, 1, "NVIDIA A100-SXM4-80GB", 1));
            // idle: 81,559 - 100 twice; busy: 81,559 - 40,000.
            assertThat(capacity.getFreeMemoryMib()).isEqualTo(2 * 81_459L + 41_559L);
            // Only the two GPUs with a power limit: (700 - 60) + (700 - 400).
            assertThat(capacity.getPowerHeadroomW()).isCloseTo(940.0, within(1e-9));
            assertThat(capacity.getHealthyNodes()).isEqualTo(2);
            assertThat(capacity.getTotalNodes()).isEqualTo(2);
            assertThat(capacity.getNodesByStatus()).isEqualTo(Map.of("UP", 2));

            watermark(harness, 20_000);
            assertThat(harness.extractOutputValues()).hasSize(2);
        }
    }

    @Test
    void gpusOnDrainedOrDownNodesAreNotFree() throws Exception {
        try (var harness = harness()) {
            harness.processElement2(health("n1", NodeStatus.UP, 0), 0);
            harness.processElement2(health("n2", NodeStatus.UP, 0), 0);
            harness.processElement2(health("n3", NodeStatus.UP, 0), 0);
            harness.processElement1(idle("n1", 0, 1_000).build(), 1_000);
            harness.processElement1(idle("n2", 0, 1_000).build(), 1_000);
            harness.processElement1(idle("n3", 0, 1_000).build(), 1_000);
            harness.processElement2(health("n2", NodeStatus.DRAIN, 2_000), 2_000);
            harness.processElement2(health("n3", NodeStatus.WATCH, 2_000), 2_000);
            watermark(harness, 10_000);

            ClusterCapacity capacity = harness.extractOutputValues().get(0);
            assertThat(capacity.getFreeGpus()).isEqualTo(2);
            assertThat(capacity.getHealthyNodes()).isEqualTo(2);
            assertThat(capacity.getNodesByStatus())
                    .isEqualTo(Map.of("UP", 1, "DRAIN", 1, "WATCH", 1));
        }
    }

    @Test
    void aReportSeesExactlyTheHealthChangesUpToItsTime() throws Exception {
        try (var harness = harness()) {
            harness.processElement2(health("n1", NodeStatus.UP, 0), 0);
            harness.processElement2(health("n2", NodeStatus.UP, 0), 0);
            harness.processElement1(idle("n1", 0, 0).build(), 0);
            harness.processElement1(idle("n2", 0, 0).build(), 0);
            // The health input runs ahead: n2 goes DOWN at 15 s and is back at 35 s, both known
            // before the samples' watermark reaches 10 s.
            harness.processElement2(health("n2", NodeStatus.DOWN, 15_000), 15_000);
            harness.processElement2(health("n2", NodeStatus.UP, 35_000), 35_000);
            for (long t = 5_000; t <= 40_000; t += 5_000) {
                harness.processElement1(idle("n1", 0, t).build(), t);
                harness.processElement1(idle("n2", 0, t).build(), t);
            }
            watermark(harness, 40_000);

            assertThat(harness.extractOutputValues())
                    .extracting(c -> c.getNodesByStatus().getOrDefault("DOWN", 0))
                    .containsExactly(0, 1, 1, 0);
            assertThat(harness.extractOutputValues())
                    .extracting(ClusterCapacity::getHealthyNodes)
                    .containsExactly(2, 1, 1, 2);
        }
    }

    @Test
    void staleGpusCountOnlyInTheTotal() throws Exception {
        try (var harness = harness()) {
            harness.processElement2(health("n1", NodeStatus.UP, 0), 0);
            harness.processElement1(idle("n1", 0, 0).build(), 0);
            harness.processElement1(idle("n1", 1, 0).build(), 0);
            for (long t = 10_000; t <= 40_000; t += 10_000) {
                harness.processElement1(idle("n1", 1, t).build(), t);
            }
            watermark(harness, 40_000);

            List<ClusterCapacity> out = harness.extractOutputValues();
            assertThat(out).extracting(ClusterCapacity::getFreeGpus).containsExactly(2, 2, 2, 1);
            assertThat(out).extracting(ClusterCapacity::getTotalGpus).containsExactly(2, 2, 2, 2);
        }
    }

    @Test
    void aClusterThatWentAwayIsForgottenAfterTheRetention() throws Exception {
        try (var harness = harness()) {
            harness.processElement2(health("n1", NodeStatus.UP, 0), 0);
            harness.processElement1(idle("n1", 0, 0).build(), 0);
            harness.processElement1(idle("n1", 1, 0).build(), 0);
            harness.processElement2(health("n1", NodeStatus.DOWN, 30_000), 30_000);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(4);

            watermark(harness, 2 * 60 * SECOND);
            List<ClusterCapacity> out = harness.extractOutputValues();
            ClusterCapacity last = out.get(out.size() - 1);
            assertThat(last.getTotalNodes()).isEqualTo(1);
            assertThat(last.getHealthyNodes()).isZero();
            assertThat(last.getTotalGpus()).isZero();

            watermark(harness, 2 * 60 * SECOND + 30_000);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void endOfInputMakesNoReport() throws Exception {
        try (var harness = harness()) {
            harness.processElement2(health("n1", NodeStatus.UP, 0), 0);
            harness.processElement1(idle("n1", 0, 1_000).build(), 1_000);
            watermark(harness, Long.MAX_VALUE);
            assertThat(harness.extractOutputValues()).isEmpty();
        }
    }

    @Test
    void stateIsFlinkPojosNotKryo() {
        assertThat(TypeInformation.of(GpuReading.class)).isInstanceOf(PojoTypeInfo.class);
        assertThat(TypeInformation.of(NodeEntry.class)).isInstanceOf(PojoTypeInfo.class);
        assertThat(TypeInformation.of(ClusterReportState.class)).isInstanceOf(PojoTypeInfo.class);
        assertThat(TypeInformation.of(PendingStatus.class)).isInstanceOf(PojoTypeInfo.class);
    }

    private static void watermark(
            KeyedTwoInputStreamOperatorTestHarness<String, GpuSample, NodeHealth, ClusterCapacity>
                    harness,
            long time)
            throws Exception {
        harness.processBothWatermarks(new Watermark(time));
    }

    /** An idle GPU: 0 % utilization, 100 MiB used, 60 W of 700 W. */
    private static GpuSample.Builder idle(String node, int gpu, long at) {
        return sample(node, gpu, at).setUtilizationPct(0).setMemoryUsedMib(100).setPowerDrawW(60);
    }

    private static NodeHealth health(String node, NodeStatus status, long at) {
        return NodeHealth.newBuilder()
                .setRegion(TestSamples.REGION)
                .setCluster(TestSamples.CLUSTER)
                .setNode(node)
                .setStatus(status)
                .setPreviousStatus(null)
                .setScore(status == NodeStatus.UP ? 100 : 0)
                .setReasons(List.of())
                .setSince(Instant.ofEpochMilli(at))
                .setChangedAt(Instant.ofEpochMilli(at))
                .setLastSampleAt(null)
                .build();
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, GpuSample, NodeHealth, ClusterCapacity>
            harness() throws Exception {
        var harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(new ClusterCapacityFunction(CONFIG)),
                        GpuSample::getCluster,
                        NodeHealth::getCluster,
                        Types.STRING);
        TestSamples.disableGenericTypes(harness);
        harness.open();
        return harness;
    }
}
