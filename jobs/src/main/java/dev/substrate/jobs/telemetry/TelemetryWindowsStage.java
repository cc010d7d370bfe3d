package dev.substrate.jobs.telemetry;

import dev.substrate.events.GpuMetrics;
import dev.substrate.events.GpuSample;
import dev.substrate.events.MetricsLevel;
import dev.substrate.operators.telemetry.windows.LateReadingsCounter;
import dev.substrate.operators.telemetry.windows.TelemetryWindows;
import dev.substrate.operators.telemetry.windows.TelemetryWindowsConfig;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.kafka.WireFormatSerializationSchema;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The telemetry-windows stage: per-GPU 1-minute and 5-minute aggregates with node and cluster
 * rollups ({@link TelemetryWindows}), written to Iceberg and Kafka.
 *
 * <pre>
 *  GpuSample ─► event time ─► TelemetryWindows ─┬─ 1 min, GPU/NODE/CLUSTER ─┬─► gpu_metrics_1m (Iceberg)
 *  (decoded)   (watermarks)        │             │                           └─► substrate.gpu-metrics (Kafka)
 *                                  │             └─ 5 min / 1 min slide ─────┬─► gpu_metrics_5m (Iceberg)
 *                                  │                                         └─► substrate.gpu-metrics (Kafka)
 *                                  └─ late readings ─► counted (metric readingsTooLateForWindows);
 *                                                      the rows are in gpu_samples all the same
 * </pre>
 *
 * <p>When the readings stop and event time stands still, the windows close after {@link
 * TelemetryWindowsOptions#QUIET_CLOSE} anyway, their rows marked {@code closed_by = QUIET_TIME}
 * (see {@link TelemetryWindows}).
 *
 * <p>Both tables hold {@link GpuMetrics} rows partitioned by day of {@code window_start} and by
 * {@code cluster}; {@code window_size_s} (60 or 300) and {@code level} tell rows apart, also on the
 * topic, whose key is {@code cluster/node/gpu} (so one entity's rows stay in order). Usage:
 *
 * <pre>{@code
 * DataStream<GpuSample> samples = (DataStream<GpuSample>) ingest.events().get(EventType.GPU_SAMPLE);
 * TelemetryWindowsStage.Output windows =
 *         new TelemetryWindowsStage(TelemetryWindowsOptions.settings(config, catalog, kafka))
 *                 .addTo(samples);
 * }</pre>
 *
 * <p>Operator uids (stable, for savepoints): {@code telemetry-windows-watermarks}, {@code
 * telemetry-gpu-window-1m}, {@code telemetry-gpu-window-5m}, {@code telemetry-node-rollup-1m|5m},
 * {@code telemetry-cluster-rollup-1m|5m}, {@code lake-gpu_metrics_1m}, {@code lake-gpu_metrics_5m},
 * {@code kafka-gpu-metrics-1m|5m}.
 */
public final class TelemetryWindowsStage {

    public static final String METRICS_1M_TABLE = "gpu_metrics_1m";
    public static final String METRICS_5M_TABLE = "gpu_metrics_5m";

    private final Settings settings;

    public TelemetryWindowsStage(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Adds the stage behind {@code samples} and returns its outputs. */
    public Output addTo(DataStream<GpuSample> samples) {
        DataStream<GpuSample> timed = samples;
        if (settings.watermarks() != null) {
            timed =
                    samples.assignTimestampsAndWatermarks(settings.watermarks())
                            .uid("telemetry-windows-watermarks")
                            .name("telemetry windows: event time");
        }
        TelemetryWindows.Output windows = TelemetryWindows.apply(timed, settings.windows());
        IcebergLakeSink.append(
                windows.oneMinute(), settings.catalog(), tableSpec(METRICS_1M_TABLE));
        IcebergLakeSink.append(
                windows.fiveMinutes(), settings.catalog(), tableSpec(METRICS_5M_TABLE));
        if (settings.kafka() != null) {
            toKafka(windows.oneMinute(), "1m");
            toKafka(windows.fiveMinutes(), "5m");
        }
        windows.lateSamples()
                .process(new LateReadingsCounter())
                .returns(Types.VOID)
                .uid("telemetry-late-readings")
                .name("telemetry: count readings too late for windows")
                .sinkTo(new DiscardingSink<>())
                .uid("telemetry-late-readings-discard")
                .name("telemetry: late readings counted");
        return new Output(windows.oneMinute(), windows.fiveMinutes(), windows.lateSamples());
    }

    /** The lake table of {@link GpuMetrics} rows named {@code name}. */
    public static LakeTableSpec tableSpec(String name) {
        return new LakeTableSpec(name, GpuMetrics.getClassSchema(), "window_start", "cluster");
    }

    private void toKafka(DataStream<GpuMetrics> rows, String size) {
        KafkaOutput kafka = Objects.requireNonNull(settings.kafka());
        KafkaSink<GpuMetrics> sink =
                KafkaSink.<GpuMetrics>builder()
                        .setBootstrapServers(kafka.bootstrapServers())
                        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                        .setRecordSerializer(
                                new WireFormatSerializationSchema<>(
                                        kafka.topic(),
                                        GpuMetrics.getClassSchema(),
                                        kafka.registry(),
                                        TelemetryWindowsStage::key))
                        .build();
        rows.sinkTo(sink)
                .uid("kafka-gpu-metrics-" + size)
                .name("kafka: " + kafka.topic() + " " + size);
    }

    /** {@code cluster}, {@code cluster/node} or {@code cluster/node/gpu}, by level. */
    static String key(GpuMetrics row) {
        if (row.getLevel() == MetricsLevel.CLUSTER) {
            return row.getCluster();
        }
        if (row.getLevel() == MetricsLevel.NODE) {
            return row.getCluster() + "/" + row.getNode();
        }
        return row.getCluster() + "/" + row.getNode() + "/" + row.getGpuUuid();
    }

    /**
     * What the stage needs.
     *
     * @param windows window settings
     * @param watermarks assigns event time to the decoded samples; null when they already carry
     *     timestamps and watermarks
     * @param catalog the lake
     * @param kafka where rows are published, or null for the lake only
     */
    public record Settings(
            TelemetryWindowsConfig windows,
            @Nullable WatermarkStrategy<GpuSample> watermarks,
            LakeCatalogConfig catalog,
            @Nullable KafkaOutput kafka) {

        public Settings {
            Objects.requireNonNull(windows, "windows");
            Objects.requireNonNull(catalog, "catalog");
        }
    }

    /** The Kafka topic of the rows, in the Confluent wire format. */
    public record KafkaOutput(
            String bootstrapServers, SchemaRegistryConfig registry, String topic) {}

    /**
     * The stage's streams.
     *
     * @param oneMinute 1-minute rows of all levels (also in {@code gpu_metrics_1m})
     * @param fiveMinutes 5-minute rows sliding by 1 minute (also in {@code gpu_metrics_5m})
     * @param lateSamples readings too late for their window (already counted by the stage; their
     *     rows are in {@code gpu_samples})
     */
    public record Output(
            DataStream<GpuMetrics> oneMinute,
            DataStream<GpuMetrics> fiveMinutes,
            DataStream<GpuSample> lateSamples) {}
}
