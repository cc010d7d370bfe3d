package dev.substrate.jobs.telemetry;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.operators.telemetry.anomaly.AnomalyConfig;
import dev.substrate.operators.telemetry.anomaly.GpuAnomalyFunction;
import dev.substrate.operators.telemetry.capacity.CapacityConfig;
import dev.substrate.operators.telemetry.capacity.ClusterCapacityFunction;
import dev.substrate.operators.telemetry.health.NodeHealthConfig;
import dev.substrate.operators.telemetry.health.NodeHealthFunction;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.kafka.WireFormatSerializationSchema;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import java.time.Duration;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.util.function.SerializableFunction;

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
 * <p>Event time: {@link Settings#watermarks} assigns timestamps ({@code timestamp}) and watermarks
 * to the incoming stream. The ingest stage reads with {@code WatermarkStrategy.noWatermarks()}, so
 * the default ({@link #defaultWatermarks}) is what a Substrate job uses; pass null only when the
 * stream already carries timestamps and watermarks. Usage:
 *
 * <pre>{@code
 * DataStream<GpuSample> samples = (DataStream<GpuSample>) ingest.events().get(EventType.GPU_SAMPLE);
 * FleetHealthStage.Output health =
 *         new FleetHealthStage(FleetHealthOptions.settings(config, catalog, kafka)).addTo(samples);
 * }</pre>
 *
 * <p>Operator uids (stable, for savepoints): {@code fleet-health-watermarks}, {@code node-health},
 * {@code gpu-anomalies}, {@code cluster-capacity}, {@code lake-<table>}, {@code kafka-<table>}.
 */
public final class FleetHealthStage {

    public static final String NODE_HEALTH_TABLE = "node_health";
    public static final String GPU_ANOMALIES_TABLE = "gpu_anomalies";
    public static final String CLUSTER_CAPACITY_TABLE = "cluster_capacity";

    private final Settings settings;

    public FleetHealthStage(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Adds the stage behind {@code samples} and returns its three output streams. */
    public Output addTo(DataStream<GpuSample> samples) {
        DataStream<GpuSample> timed = samples;
        if (settings.watermarks() != null) {
            timed =
                    samples.assignTimestampsAndWatermarks(settings.watermarks())
                            .uid("fleet-health-watermarks")
                            .name("fleet health: event time");
        }

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
        KafkaOutput kafka = settings.kafka();
        if (kafka != null) {
            // Keys keep one node's, GPU's or cluster's records in order on one partition.
            sendTo(
                    health,
                    kafka,
                    kafka.nodeHealthTopic(),
                    NODE_HEALTH_TABLE,
                    NodeHealth.getClassSchema(),
                    h -> h.getCluster() + "/" + h.getNode());
            sendTo(
                    anomalies,
                    kafka,
                    kafka.anomalyTopic(),
                    GPU_ANOMALIES_TABLE,
                    GpuAnomaly.getClassSchema(),
                    GpuAnomaly::getGpuUuid);
            sendTo(
                    capacity,
                    kafka,
                    kafka.capacityTopic(),
                    CLUSTER_CAPACITY_TABLE,
                    ClusterCapacity.getClassSchema(),
                    ClusterCapacity::getCluster);
        }
        return new Output(health, anomalies, capacity);
    }

    private static <T extends SpecificRecord> void sendTo(
            DataStream<T> stream,
            KafkaOutput kafka,
            String topic,
            String table,
            Schema schema,
            SerializableFunction<T, String> keyOf) {
        KafkaSink<T> sink =
                KafkaSink.<T>builder()
                        .setBootstrapServers(kafka.bootstrapServers())
                        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                        .setRecordSerializer(
                                new WireFormatSerializationSchema<>(
                                        topic, schema, kafka.registry(), keyOf))
                        .build();
        stream.sinkTo(sink).uid("kafka-" + table).name("kafka: " + topic);
    }

    /**
     * Event time of the samples: the {@code timestamp} field, watermarks {@code outOfOrderness}
     * behind the newest sample and moved on by the samples themselves ({@link
     * EagerWatermarkGenerator}), an input split without samples for {@code idleness} not holding
     * the others back. A silent node is DOWN about {@code heartbeatTimeout + outOfOrderness} after
     * its last sample while other nodes report on the same splits.
     */
    public static WatermarkStrategy<GpuSample> defaultWatermarks(
            Duration outOfOrderness, Duration idleness) {
        long bound = outOfOrderness.toMillis();
        return WatermarkStrategy.<GpuSample>forGenerator(
                        context -> new EagerWatermarkGenerator<>(bound, 1_000))
                .withTimestampAssigner((sample, previous) -> sample.getTimestamp().toEpochMilli())
                .withIdleness(idleness);
    }

    /**
     * What the stage computes and where it writes.
     *
     * @param watermarks timestamps and watermarks to assign; null when the input already has them
     * @param catalog the lake catalog for the three tables; null writes no tables (tests)
     * @param kafka the Kafka topics to publish to; null publishes nothing (tests)
     */
    public record Settings(
            NodeHealthConfig health,
            AnomalyConfig anomalies,
            CapacityConfig capacity,
            @Nullable WatermarkStrategy<GpuSample> watermarks,
            @Nullable LakeCatalogConfig catalog,
            @Nullable KafkaOutput kafka) {

        public Settings {
            Objects.requireNonNull(health, "health");
            Objects.requireNonNull(anomalies, "anomalies");
            Objects.requireNonNull(capacity, "capacity");
        }

        /** These settings for an input that already carries watermarks ({@code null}) or not. */
        public Settings withWatermarks(@Nullable WatermarkStrategy<GpuSample> strategy) {
            return new Settings(health, anomalies, capacity, strategy, catalog, kafka);
        }
    }

    /** The Kafka cluster, registry and topics the stage publishes to. */
    public record KafkaOutput(
            String bootstrapServers,
            SchemaRegistryConfig registry,
            String nodeHealthTopic,
            String anomalyTopic,
            String capacityTopic) {}

    /** The node-health changelog, the anomaly events and the capacity reports. */
    public record Output(
            DataStream<NodeHealth> nodeHealth,
            DataStream<GpuAnomaly> anomalies,
            DataStream<ClusterCapacity> capacity) {}
}
