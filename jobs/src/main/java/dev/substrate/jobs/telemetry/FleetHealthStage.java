package dev.substrate.jobs.telemetry;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.telemetry.anomaly.AnomalyConfig;
import dev.substrate.operators.telemetry.anomaly.GpuAnomalyFunction;
import dev.substrate.operators.telemetry.capacity.CapacityConfig;
import dev.substrate.operators.telemetry.capacity.ClusterCapacityFunction;
import dev.substrate.operators.telemetry.health.NodeHealthConfig;
import dev.substrate.operators.telemetry.health.NodeHealthFunction;
import dev.substrate.schemas.RecordIds;
import dev.substrate.sinks.kafka.KafkaOutputSink;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The fleet-health stage: node health, GPU anomalies and cluster capacity from decoded GPU samples,
 * written to Iceberg tables and Kafka topics.
 *
 * <pre>
 *  GpuSample ─► event time ─┬─ keyBy(cluster/node) ─► NodeHealthFunction ─┬─► node_health, substrate.node-health
 *  (decoded)   (watermarks) │                                              │
 *                           ├─ keyBy(gpu uuid) ──► GpuAnomalyFunction ─────┼─► gpu_anomalies, substrate.gpu-anomalies
 *                           │                                              │
 *                           └─ keyBy(cluster) ─┐   ┌─ keyBy(cluster) ◄─────┘
 *                                              ▼   ▼
 *                                      ClusterCapacityFunction ───────────────► cluster_capacity, substrate.cluster-capacity
 * </pre>
 *
 * <p>Event time is the job's: the ingest assigns timestamps ({@code timestamp}) and watermarks
 * once, per Kafka partition, with watermarks that advance with the data during a replay, so
 * heartbeat timers and capacity reports fire in event-time order. A silent node is DOWN about
 * {@code heartbeatTimeout + outOfOrderness} after its last sample while other nodes report on the
 * same partitions. Usage:
 *
 * <pre>{@code
 * FleetHealthStage.Output health =
 *         new FleetHealthStage(FleetHealthStage.Settings.from(config, context))
 *                 .addTo(ingest.gpuSamples());
 * }</pre>
 *
 * <p>Operator uids (stable, for savepoints): {@code node-health}, {@code gpu-anomalies}, {@code
 * cluster-capacity}, {@code lake-<table>}, {@code kafka-<table>}.
 */
public final class FleetHealthStage {

    public static final String NODE_HEALTH_TABLE = "node_health";
    public static final String GPU_ANOMALIES_TABLE = "gpu_anomalies";
    public static final String CLUSTER_CAPACITY_TABLE = "cluster_capacity";

    private final Settings settings;

    public FleetHealthStage(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Adds the stage behind {@code samples}, which carry the job's event time. */
    public Output addTo(DataStream<GpuSample> samples) {
        DataStream<GpuSample> timed = samples;

        DataStream<NodeHealth> health =
                timed.keyBy(NodeHealthFunction::nodeKey, Types.STRING)
                        .process(new NodeHealthFunction(settings.health()))
                        .returns(new AvroTypeInfo<>(NodeHealth.class))
                        .uid("node-health")
                        .name("node health");

        DataStream<GpuAnomaly> anomalies =
                timed.keyBy(GpuAnomalyFunction::gpuKey, Types.STRING)
                        .process(new GpuAnomalyFunction(settings.anomalies()))
                        .returns(new AvroTypeInfo<>(GpuAnomaly.class))
                        .uid("gpu-anomalies")
                        .name("gpu anomalies");

        DataStream<ClusterCapacity> capacity =
                timed.keyBy(GpuSample::getCluster, Types.STRING)
                        .connect(health.keyBy(NodeHealth::getCluster, Types.STRING))
                        .process(new ClusterCapacityFunction(settings.capacity()))
                        .returns(new AvroTypeInfo<>(ClusterCapacity.class))
                        .uid("cluster-capacity")
                        .name("cluster capacity");

        if (settings.catalog() != null) {
            // Changes and alerts are few: one writer per table, fewer small files.
            IcebergLakeSink.append(
                    health,
                    settings.catalog(),
                    new LakeTableSpec(
                            NODE_HEALTH_TABLE,
                            NodeHealth.getClassSchema(),
                            "changed_at",
                            "cluster"),
                    IcebergLakeSink.LOW_VOLUME_WRITERS);
            IcebergLakeSink.append(
                    anomalies,
                    settings.catalog(),
                    new LakeTableSpec(
                            GPU_ANOMALIES_TABLE,
                            GpuAnomaly.getClassSchema(),
                            "timestamp",
                            "cluster"),
                    IcebergLakeSink.LOW_VOLUME_WRITERS);
            IcebergLakeSink.append(
                    capacity,
                    settings.catalog(),
                    new LakeTableSpec(
                            CLUSTER_CAPACITY_TABLE,
                            ClusterCapacity.getClassSchema(),
                            "timestamp",
                            "cluster"),
                    IcebergLakeSink.LOW_VOLUME_WRITERS);
        }
        // Keys keep one node's, GPU's or cluster's records in order on one partition.
        if (settings.nodeHealthOutput() != null) {
            settings.nodeHealthOutput().writeFrom(health, "kafka-" + NODE_HEALTH_TABLE);
        }
        if (settings.anomalyOutput() != null) {
            settings.anomalyOutput().writeFrom(anomalies, "kafka-" + GPU_ANOMALIES_TABLE);
        }
        if (settings.capacityOutput() != null) {
            settings.capacityOutput().writeFrom(capacity, "kafka-" + CLUSTER_CAPACITY_TABLE);
        }
        return new Output(health, anomalies, capacity);
    }

    /**
     * What the stage computes and where it writes.
     *
     * @param catalog the lake catalog for the three tables; null writes no tables (tests)
     * @param nodeHealthOutput the node-health topic, or null (tests)
     * @param anomalyOutput the anomaly topic, or null (tests)
     * @param capacityOutput the capacity topic, or null (tests)
     */
    public record Settings(
            NodeHealthConfig health,
            AnomalyConfig anomalies,
            CapacityConfig capacity,
            @Nullable LakeCatalogConfig catalog,
            @Nullable KafkaOutputSink<NodeHealth> nodeHealthOutput,
            @Nullable KafkaOutputSink<GpuAnomaly> anomalyOutput,
            @Nullable KafkaOutputSink<ClusterCapacity> capacityOutput) {

        public Settings {
            Objects.requireNonNull(health, "health");
            Objects.requireNonNull(anomalies, "anomalies");
            Objects.requireNonNull(capacity, "capacity");
        }

        /** The settings of {@code config} ({@link FleetHealthOptions}) in {@code context}. */
        public static Settings from(ReadableConfig config, StageContext context) {
            return new Settings(
                    FleetHealthOptions.health(config),
                    FleetHealthOptions.anomalies(config),
                    FleetHealthOptions.capacity(config),
                    context.lake(),
                    context.<NodeHealth>kafkaOutput(
                                    NodeHealth.getClassSchema(),
                                    config.get(FleetHealthOptions.NODE_HEALTH_TOPIC))
                            .key(h -> h.getCluster() + "/" + h.getNode())
                            .recordId(RecordIds::of)
                            .build(),
                    context.<GpuAnomaly>kafkaOutput(
                                    GpuAnomaly.getClassSchema(),
                                    config.get(FleetHealthOptions.ANOMALY_TOPIC))
                            .key(GpuAnomaly::getGpuUuid)
                            .recordId(RecordIds::of)
                            .build(),
                    context.<ClusterCapacity>kafkaOutput(
                                    ClusterCapacity.getClassSchema(),
                                    config.get(FleetHealthOptions.CAPACITY_TOPIC))
                            .key(ClusterCapacity::getCluster)
                            .recordId(RecordIds::of)
                            .build());
        }

        /** The same computation, writing neither tables nor topics (tests). */
        public Settings withoutSinks() {
            return new Settings(health, anomalies, capacity, null, null, null, null);
        }

        /** The Kafka topics the stage writes. */
        public List<String> topics() {
            List<String> topics = new ArrayList<>();
            for (KafkaOutputSink<?> output :
                    Arrays.asList(nodeHealthOutput, anomalyOutput, capacityOutput)) {
                if (output != null) {
                    topics.add(output.topic());
                }
            }
            return topics;
        }
    }

    /** The node-health changelog, the anomaly events and the capacity reports. */
    public record Output(
            DataStream<NodeHealth> nodeHealth,
            DataStream<GpuAnomaly> anomalies,
            DataStream<ClusterCapacity> capacity) {}
}
