package dev.substrate.jobs.telemetry;

import dev.substrate.events.GpuMetrics;
import dev.substrate.events.GpuSample;
import dev.substrate.events.MetricsLevel;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.telemetry.windows.LateReadingsCounter;
import dev.substrate.operators.telemetry.windows.TelemetryWindows;
import dev.substrate.operators.telemetry.windows.TelemetryWindowsConfig;
import dev.substrate.schemas.RecordIds;
import dev.substrate.sinks.kafka.KafkaOutputSink;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The telemetry-windows stage: per-GPU 1-minute and 5-minute aggregates with node and cluster
 * rollups ({@link TelemetryWindows}), written to Iceberg and Kafka.
 *
 * <pre>
 *  GpuSample ─► TelemetryWindows ─┬─ 1 min, GPU/NODE/CLUSTER ─┬─► gpu_metrics_1m (Iceberg)
 *  (ingest's      │                │                           └─► substrate.gpu-metrics (Kafka)
 *   event time)   │                └─ 5 min / 1 min slide ─────┬─► gpu_metrics_5m (Iceberg)
 *                 │                                            └─► substrate.gpu-metrics (Kafka)
 *                 └─ late readings ─► counted (metric readingsTooLateForWindows);
 *                                     the rows are in gpu_samples all the same
 * </pre>
 *
 * <p>The samples arrive with the job's event time (timestamps and watermarks assigned once, at
 * ingest). Both tables hold {@link GpuMetrics} rows partitioned by day of {@code window_start} and
 * by {@code cluster}; {@code window_size_s} (60 or 300) and {@code level} tell rows apart, also on
 * the topic, whose key is {@code cluster/node/gpu} (so one entity's rows stay in order). Usage:
 *
 * <pre>{@code
 * TelemetryWindowsStage.Output windows =
 *         new TelemetryWindowsStage(TelemetryWindowsStage.Settings.from(config, context))
 *                 .addTo(ingest.gpuSamples());
 * }</pre>
 *
 * <p>Operator uids (stable, for savepoints): {@code telemetry-gpu-event-time-order} (the per-GPU
 * sort, which holds readings until the watermark passes them), {@code telemetry-gpu-window-1m},
 * {@code telemetry-gpu-window-5m}, {@code telemetry-node-rollup-1m|5m}, {@code
 * telemetry-cluster-rollup-1m|5m}, {@code lake-gpu_metrics_1m}, {@code lake-gpu_metrics_5m}, {@code
 * kafka-gpu-metrics-1m|5m}.
 */
public final class TelemetryWindowsStage {

    public static final String METRICS_1M_TABLE = "gpu_metrics_1m";
    public static final String METRICS_5M_TABLE = "gpu_metrics_5m";

    private final Settings settings;

    public TelemetryWindowsStage(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Adds the stage behind {@code samples}, which carry the job's event time. */
    public Output addTo(DataStream<GpuSample> samples) {
        TelemetryWindows.Output windows = TelemetryWindows.apply(samples, settings.windows());
        if (settings.lake() != null) {
            IcebergLakeSink.append(
                    windows.oneMinute(), settings.lake(), tableSpec(METRICS_1M_TABLE));
            IcebergLakeSink.append(
                    windows.fiveMinutes(), settings.lake(), tableSpec(METRICS_5M_TABLE));
        }
        if (settings.kafka() != null) {
            settings.kafka().writeFrom(windows.oneMinute(), "kafka-gpu-metrics-1m");
            settings.kafka().writeFrom(windows.fiveMinutes(), "kafka-gpu-metrics-5m");
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
     * What the stage computes and where it writes.
     *
     * @param lake the lake for the two tables; null writes no tables (tests)
     * @param kafka the topic of the rows; null publishes nothing (tests)
     */
    public record Settings(
            TelemetryWindowsConfig windows,
            @Nullable LakeCatalogConfig lake,
            @Nullable KafkaOutputSink<GpuMetrics> kafka) {

        public Settings {
            Objects.requireNonNull(windows, "windows");
        }

        /** The settings of {@code config} ({@link TelemetryWindowsOptions}) in {@code context}. */
        public static Settings from(ReadableConfig config, StageContext context) {
            return new Settings(
                    TelemetryWindowsOptions.windows(config),
                    context.lake(),
                    context.<GpuMetrics>kafkaOutput(
                                    GpuMetrics.getClassSchema(),
                                    config.get(TelemetryWindowsOptions.TOPIC))
                            .key(TelemetryWindowsStage::key)
                            .recordId(RecordIds::of)
                            .build());
        }

        /** The Kafka topics the stage writes. */
        public List<String> topics() {
            return kafka == null ? List.of() : List.of(kafka.topic());
        }
    }

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
