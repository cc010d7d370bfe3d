package dev.substrate.jobs.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.operators.telemetry.anomaly.AnomalyConfig;
import dev.substrate.operators.telemetry.capacity.CapacityConfig;
import dev.substrate.operators.telemetry.health.NodeHealthConfig;
import dev.substrate.samples.SyntheticFleet;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Heartbeat loss in a synthetic fleet on a MiniCluster at parallelism 2: one node stops reporting
 * for four minutes of event time. Exactly that node goes DOWN, one heartbeat timeout after its last
 * sample, and UP with its first sample back; no other node is ever DOWN; capacity counts the node
 * as down meanwhile; the changelog lands in the node_health table.
 *
 * <p>Deterministic: event time only (the wall-clock fallback is off, so the test's speed cannot
 * matter), a generated fleet with a fixed seed, and a DOWN that is the same whether the timer or
 * the node's return publishes it.
 */
class HeartbeatLossITCase {

    private static final long SECOND = 1000;
    private static final Duration HEARTBEAT = Duration.ofSeconds(30);

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @TempDir Path dataDir;

    @Test
    void exactlyTheSilentNodeGoesDownWithinTheTimeoutAndUpWhenItReturns() throws Exception {
        // 2 regions x 2 clusters x 4 nodes x 2 GPUs, read every 5 s, for 10 minutes.
        SyntheticFleet fleet =
                new SyntheticFleet(
                        new SyntheticFleet.Config(
                                2,
                                2,
                                4,
                                2,
                                11L,
                                Duration.ofSeconds(5),
                                SyntheticFleet.Config.DEFAULT_START));
        long start = fleet.config().start().toEpochMilli();
        List<GpuSample> all = new ArrayList<>();
        for (int i = 0; i < 120 * fleet.config().totalGpus(); i++) {
            all.add(fleet.next());
        }
        String silent = quietNode(all);
        String silentCluster =
                all.stream()
                        .filter(s -> s.getNode().equals(silent))
                        .findFirst()
                        .orElseThrow()
                        .getCluster();
        long stopAt = start + 3 * 60 * SECOND;
        long resumeAt = start + 7 * 60 * SECOND;
        List<GpuSample> samples =
                all.stream()
                        .filter(
                                s ->
                                        !(s.getNode().equals(silent)
                                                && time(s) >= stopAt
                                                && time(s) < resumeAt))
                        .toList();
        long lastBefore =
                samples.stream()
                        .filter(s -> s.getNode().equals(silent) && time(s) < stopAt)
                        .mapToLong(HeartbeatLossITCase::time)
                        .max()
                        .orElseThrow();
        long firstAfter =
                samples.stream()
                        .filter(s -> s.getNode().equals(silent) && time(s) >= resumeAt)
                        .mapToLong(HeartbeatLossITCase::time)
                        .min()
                        .orElseThrow();

        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        config.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(1));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        LakeCatalogConfig catalog = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));
        FleetHealthStage.Settings settings =
                new FleetHealthStage.Settings(
                        NodeHealthConfig.defaults()
                                .withHeartbeatTimeout(HEARTBEAT)
                                .withWallClockTimeout(null),
                        AnomalyConfig.defaults(),
                        CapacityConfig.defaults(),
                        catalog,
                        null,
                        null,
                        null);
        // The job's event time, as the ingest assigns it.
        FleetHealthStage.Output output =
                new FleetHealthStage(settings)
                        .addTo(
                                env.fromData(samples, new AvroTypeInfo<>(GpuSample.class))
                                        .assignTimestampsAndWatermarks(
                                                EventTimeWatermarks.<GpuSample>strategy(
                                                        s -> s.getTimestamp().toEpochMilli(),
                                                        Duration.ofSeconds(5),
                                                        Duration.ofSeconds(15),
                                                        Duration.ofDays(36_500))));
        CloseableIterator<NodeHealth> healthResults = output.nodeHealth().collectAsync();
        CloseableIterator<ClusterCapacity> capacityResults = output.capacity().collectAsync();
        CloseableIterator<GpuAnomaly> anomalyResults = output.anomalies().collectAsync();
        env.execute("heartbeat-loss-itcase");
        List<NodeHealth> health = drain(healthResults);
        List<ClusterCapacity> capacity = drain(capacityResults);
        List<GpuAnomaly> anomalies = drain(anomalyResults);

        // Every node of the fleet is published once as it first reports.
        Set<String> nodes = all.stream().map(GpuSample::getNode).collect(Collectors.toSet());
        assertThat(health.stream().filter(h -> h.getPreviousStatus() == null))
                .extracting(NodeHealth::getNode)
                .containsExactlyInAnyOrderElementsOf(nodes);

        // Exactly the silent node goes DOWN, once, one heartbeat timeout after its last sample.
        List<NodeHealth> downs =
                health.stream().filter(h -> h.getStatus() == NodeStatus.DOWN).toList();
        assertThat(downs).hasSize(1);
        NodeHealth down = downs.get(0);
        assertThat(down.getNode()).isEqualTo(silent);
        assertThat(down.getLastSampleAt().toEpochMilli()).isEqualTo(lastBefore);
        assertThat(down.getChangedAt().toEpochMilli()).isEqualTo(lastBefore + HEARTBEAT.toMillis());
        assertThat(down.getChangedAt().toEpochMilli())
                .isLessThanOrEqualTo(stopAt + HEARTBEAT.toMillis());
        assertThat(down.getScore()).isZero();

        // ... and UP with its first sample back.
        List<NodeHealth> silentChanges =
                health.stream().filter(h -> h.getNode().equals(silent)).toList();
        int downAt = silentChanges.indexOf(down);
        assertThat(silentChanges).hasSizeGreaterThan(downAt + 1);
        NodeHealth back = silentChanges.get(downAt + 1);
        assertThat(back.getPreviousStatus()).isEqualTo(NodeStatus.DOWN);
        assertThat(back.getStatus()).isEqualTo(NodeStatus.UP);
        assertThat(back.getChangedAt().toEpochMilli()).isEqualTo(firstAfter);
        assertThat(back.getScore()).isEqualTo(100);

        // Capacity of the silent node's cluster counts it DOWN during the outage, not around it.
        long downTime = down.getChangedAt().toEpochMilli();
        List<ClusterCapacity> ofCluster =
                capacity.stream().filter(c -> c.getCluster().equals(silentCluster)).toList();
        List<ClusterCapacity> during =
                ofCluster.stream()
                        .filter(c -> inRange(c, downTime + 60 * SECOND, resumeAt - 60 * SECOND))
                        .toList();
        assertThat(during).hasSizeGreaterThanOrEqualTo(9);
        assertThat(during)
                .allSatisfy(
                        c -> {
                            assertThat(c.getNodesByStatus()).containsEntry("DOWN", 1);
                            assertThat(c.getTotalNodes()).isEqualTo(4);
                        });
        List<ClusterCapacity> around =
                ofCluster.stream()
                        .filter(
                                c ->
                                        inRange(c, 0, downTime - 60 * SECOND)
                                                || inRange(
                                                        c,
                                                        firstAfter + 60 * SECOND,
                                                        Long.MAX_VALUE))
                        .toList();
        assertThat(around).hasSizeGreaterThan(10);
        assertThat(around)
                .allSatisfy(c -> assertThat(c.getNodesByStatus()).doesNotContainKey("DOWN"));

        // The three outputs land in their lake tables, committed by the final checkpoint.
        Catalog lake = catalog.loadCatalog();
        List<Record> rows = LakeReader.readAll(lake, FleetHealthStage.NODE_HEALTH_TABLE);
        assertThat(rows).hasSize(health.size());
        assertThat(rows.stream().filter(r -> "DOWN".equals(String.valueOf(r.getField("status")))))
                .extracting(r -> r.getField("node"))
                .containsExactly(silent);
        assertThat(LakeReader.countRows(lake, FleetHealthStage.CLUSTER_CAPACITY_TABLE))
                .isEqualTo(capacity.size());
        assertThat(LakeReader.countRows(lake, FleetHealthStage.GPU_ANOMALIES_TABLE))
                .isEqualTo(anomalies.size());
        assertThat(anomalies).isNotEmpty();
    }

    /** The first node (sorted) whose samples never carry an XID nor run hot: it stays UP. */
    private static String quietNode(List<GpuSample> samples) {
        Map<String, List<GpuSample>> byNode =
                samples.stream().collect(Collectors.groupingBy(GpuSample::getNode));
        return new TreeSet<>(byNode.keySet())
                .stream()
                        .filter(
                                node ->
                                        byNode.get(node).stream()
                                                .allMatch(
                                                        s ->
                                                                s.getXid() == 0
                                                                        && s.getTemperatureC()
                                                                                < 80))
                        .findFirst()
                        .orElseThrow();
    }

    private static boolean inRange(ClusterCapacity capacity, long from, long to) {
        long t = capacity.getTimestamp().toEpochMilli();
        return t >= from && t <= to;
    }

    private static long time(GpuSample sample) {
        return sample.getTimestamp().toEpochMilli();
    }

    private static <T> List<T> drain(CloseableIterator<T> iterator) throws Exception {
        List<T> out = new ArrayList<>();
        try (iterator) {
            iterator.forEachRemaining(out::add);
        }
        return out;
    }
}
