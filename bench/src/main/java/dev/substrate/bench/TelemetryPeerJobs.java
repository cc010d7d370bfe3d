package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import dev.substrate.jobs.telemetry.TelemetryWindowsOptions;
import dev.substrate.operators.telemetry.windows.GpuWindowAccumulator;
import dev.substrate.operators.telemetry.windows.TelemetryWindows;
import dev.substrate.operators.telemetry.windows.TelemetryWindowsConfig;
import dev.substrate.schemas.EventType;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;

/**
 * The two telemetry jobs of the end-to-end benchmark, on the same pre-loaded Kafka topic: our
 * production 1-minute per-GPU windows and the same aggregation as a Flink SQL window TVF query.
 * Both read and decode exactly as the ingest does, with the ingest's watermarks, and end in a
 * checksum (accumulators {@code rows}, {@code countSum}, {@code powerSum}) and a discarding sink.
 *
 * <pre>
 *  telemetry-ours: substrate.gpu-samples ─► decode (ingest watermarks) ─► split dead letters
 *                  ─► TelemetryWindows.gpuWindows (pre-aggregate, keyBy gpu, tumbling 1 min) ─► checksum ─► discard
 *  telemetry-sql:  substrate.gpu-samples ─► decode (ingest watermarks) ─► split dead letters
 *                  ─► Row ─► fromDataStream (SOURCE_WATERMARK) ─► TUMBLE ... GROUP BY window, gpu ─► checksum ─► discard
 * </pre>
 */
final class TelemetryPeerJobs {

    /** What the production windows compute that the SQL peer's query does not. */
    static final String SQL_LACKS =
            "DDSketch p50/p95/p99 of utilization, power, temperature and memory; energy (power"
                    + " integrated over time between consecutive readings); time fractions of the"
                    + " eight clock-event (throttle) reasons; ECC counter deltas; distinct XID"
                    + " codes";

    private TelemetryPeerJobs() {}

    /**
     * Our production aggregation: {@link TelemetryWindows#gpuWindows} with the stage's default
     * settings (quantiles on), the same operators {@code TelemetryWindowsStage} runs.
     */
    static void addOurs(
            StreamExecutionEnvironment env, String bootstrap, String registryUrl, String groupId) {
        TelemetryWindowsConfig windows = TelemetryWindowsOptions.windows(new Configuration());
        checksummed(
                TelemetryWindows.gpuWindows(samples(env, bootstrap, registryUrl, groupId), windows)
                        .windows());
    }

    /**
     * Our aggregation as it was before the per-GPU event-time sort ({@link
     * EventTimeOrderBenchmark#withoutSort}): what the sort costs, measured beside it. Its energy
     * integrals are not exact when a GPU's readings arrive out of order; its window counts are.
     */
    static void addOursWithoutSort(
            StreamExecutionEnvironment env, String bootstrap, String registryUrl, String groupId) {
        TelemetryWindowsConfig windows = TelemetryWindowsOptions.windows(new Configuration());
        checksummed(
                EventTimeOrderBenchmark.withoutSort(
                        samples(env, bootstrap, registryUrl, groupId), windows));
    }

    /** Ends our windows in the checksum the SQL peer's rows end in too, and discards them. */
    private static void checksummed(DataStream<GpuWindowAccumulator> windows) {
        windows.map(
                        new TelemetryAggregationBenchmark.Checksum<GpuWindowAccumulator>(
                                acc -> acc.sampleCount, acc -> acc.power.sum),
                        Types.BOOLEAN)
                .name("checksum")
                .sinkTo(new DiscardingSink<>())
                .name("discard");
    }

    /** The SQL peer: count, sum, mean, min and max per GPU and 1-minute window. */
    static void addSql(
            StreamExecutionEnvironment env, String bootstrap, String registryUrl, String groupId) {
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        DataStream<Row> rows =
                samples(env, bootstrap, registryUrl, groupId)
                        .map(GpuSampleRows::toRow, GpuSampleRows.TYPE)
                        .name("to Row");
        TelemetryAggregationBenchmark.addSqlWindows(tables, rows);
    }

    /**
     * The decoded GPU samples of the pre-loaded topic, bounded at its end, with the ingest's
     * per-partition watermarks at their defaults, generated in the source as {@code IngestStage}
     * does.
     */
    private static DataStream<GpuSample> samples(
            StreamExecutionEnvironment env, String bootstrap, String registryUrl, String groupId) {
        return IngestSources.decoded(
                env,
                EventType.GPU_SAMPLE,
                GpuSample.class,
                bootstrap,
                registryUrl,
                groupId,
                new Configuration(),
                OffsetsInitializer.earliest(),
                OffsetsInitializer.latest());
    }
}
