package dev.substrate.operators.telemetry.windows;

import static dev.substrate.operators.telemetry.windows.Readings.T0;
import static dev.substrate.operators.telemetry.windows.Readings.reading;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.GpuMetrics;
import dev.substrate.events.GpuSample;
import dev.substrate.testkit.GpuSamples;
import dev.substrate.testkit.MiniClusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole window topology on a MiniCluster at parallelism 2, without Kryo. */
class TelemetryWindowsITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final int MINUTES = 7;

    /** 2 clusters x 2 nodes x 2 GPUs, one reading a second for 7 minutes. */
    private static List<GpuSample> fleet() {
        List<GpuSample> readings = new ArrayList<>();
        for (int s = 0; s < MINUTES * 60; s++) {
            for (int c = 0; c < 2; c++) {
                for (int n = 0; n < 2; n++) {
                    for (int g = 0; g < 2; g++) {
                        String node = "c" + c + "-n" + n;
                        String gpu = node + "-gpu" + g;
                        double watts = 200 + 100 * g + 50 * n + (s % 60);
                        long reasons = watts > 330 ? 0x4 : 0x0;
                        int xid = (c == 1 && n == 1 && g == 1 && s == 200) ? 79 : 0;
                        readings.add(
                                reading(
                                        gpu,
                                        node,
                                        "c" + c,
                                        T0 + s * 1000L,
                                        s % 101,
                                        watts,
                                        40 + g + s / 60.0,
                                        10_000 + s,
                                        reasons,
                                        s / 120,
                                        0,
                                        xid));
                    }
                }
            }
        }
        return readings;
    }

    @Test
    void producesGpuNodeAndClusterRowsForBothWindowSizes() throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        TelemetryWindowsConfig config = TelemetryWindowsConfig.defaults();
        DataStream<GpuSample> samples =
                env.fromData(fleet(), new AvroTypeInfo<>(GpuSample.class))
                        .assignTimestampsAndWatermarks(GpuSamples.eventTime());
        TelemetryWindows.Output out = TelemetryWindows.apply(samples, config);
        List<GpuMetrics> rows = new ArrayList<>();
        try (var it = out.oneMinute().union(out.fiveMinutes()).executeAndCollect()) {
            it.forEachRemaining(rows::add);
        }

        Map<String, List<GpuMetrics>> byKind =
                rows.stream()
                        .collect(
                                Collectors.groupingBy(
                                        r -> r.getLevel() + "/" + r.getWindowSizeS()));
        assertThat(byKind.get("GPU/60")).hasSize(8 * MINUTES);
        assertThat(byKind.get("NODE/60")).hasSize(4 * MINUTES);
        assertThat(byKind.get("CLUSTER/60")).hasSize(2 * MINUTES);
        // Sliding 5 min by 1 min: every window that overlaps the 7 minutes, 11 per GPU.
        assertThat(byKind.get("GPU/300")).hasSize(8 * (MINUTES + 4));
        assertThat(byKind.get("NODE/300")).hasSize(4 * (MINUTES + 4));
        assertThat(byKind.get("CLUSTER/300")).hasSize(2 * (MINUTES + 4));

        GpuMetrics gpu = find(byKind.get("GPU/60"), "c1-n1-gpu1", T0 + 3 * 60_000);
        assertThat(gpu.getSampleCount()).isEqualTo(60);
        assertThat(gpu.getPowerDrawWMean()).isCloseTo(200 + 100 + 50 + 29.5, within(1e-9));
        assertThat(gpu.getPowerDrawWMax()).isEqualTo(200 + 100 + 50 + 59.0);
        assertThat(gpu.getPowerDrawWP99()).isCloseTo(409.0, within(409.0 * 0.01));
        assertThat(gpu.getXidCodes()).containsExactly(79);
        assertThat(gpu.getSwPowerCapFraction()).isEqualTo(1.0);
        assertThat(gpu.getEnergyJoules()).isCloseTo(379.5 * 60, within(1e-6));

        // A node's row is the sum of its GPUs' rows; the cluster's the sum of its nodes'.
        List<GpuMetrics> gpus1m =
                byKind.get("GPU/60").stream()
                        .filter(r -> r.getNode().equals("c1-n1"))
                        .filter(r -> r.getWindowStart().toEpochMilli() == T0 + 3 * 60_000)
                        .toList();
        GpuMetrics node =
                byKind.get("NODE/60").stream()
                        .filter(r -> r.getNode().equals("c1-n1"))
                        .filter(r -> r.getWindowStart().toEpochMilli() == T0 + 3 * 60_000)
                        .findFirst()
                        .orElseThrow();
        assertThat(node.getGpuUuid()).isNull();
        assertThat(node.getGpuCount()).isEqualTo(2);
        assertThat(node.getSampleCount()).isEqualTo(120);
        assertThat(node.getEnergyJoules())
                .isCloseTo(
                        gpus1m.stream().mapToDouble(GpuMetrics::getEnergyJoules).sum(),
                        within(1e-6));
        assertThat(node.getSwPowerCapFraction()).isCloseTo(0.5, within(1e-9));
        assertThat(node.getXidCodes()).containsExactly(79);
        assertThat(node.getModel()).isEqualTo("NVIDIA H100 80GB HBM3");

        GpuMetrics cluster =
                byKind.get("CLUSTER/60").stream()
                        .filter(r -> r.getCluster().equals("c1"))
                        .filter(r -> r.getWindowStart().toEpochMilli() == T0 + 3 * 60_000)
                        .findFirst()
                        .orElseThrow();
        assertThat(cluster.getNode()).isNull();
        assertThat(cluster.getGpuCount()).isEqualTo(4);
        assertThat(cluster.getSampleCount()).isEqualTo(240);
        assertThat(cluster.getPowerDrawWMax()).isEqualTo(409.0);

        // A full 5-minute window holds five 1-minute windows.
        GpuMetrics five = find(byKind.get("GPU/300"), "c0-n0-gpu0", T0 + 60_000);
        assertThat(five.getWindowEnd().toEpochMilli()).isEqualTo(T0 + 6 * 60_000);
        assertThat(five.getSampleCount()).isEqualTo(300);
        double fiveOnes =
                byKind.get("GPU/60").stream()
                        .filter(r -> r.getGpuUuid().equals("c0-n0-gpu0"))
                        .filter(r -> r.getWindowStart().toEpochMilli() >= T0 + 60_000)
                        .filter(r -> r.getWindowStart().toEpochMilli() < T0 + 6 * 60_000)
                        .mapToDouble(GpuMetrics::getEnergyJoules)
                        .sum();
        assertThat(five.getEnergyJoules()).isCloseTo(fiveOnes, within(fiveOnes * 0.001));
        assertThat(five.getEccCorrectedDelta()).isEqualTo(2);
    }

    private static GpuMetrics find(List<GpuMetrics> rows, String gpu, long start) {
        return rows.stream()
                .filter(r -> gpu.equals(r.getGpuUuid()))
                .filter(r -> r.getWindowStart().toEpochMilli() == start)
                .findFirst()
                .orElseThrow();
    }
}
