package dev.substrate.operators.telemetry.windows;

import dev.substrate.events.GpuMetrics;
import dev.substrate.events.GpuSample;
import dev.substrate.events.MetricsLevel;
import dev.substrate.operators.windows.EventTimeSorter;
import dev.substrate.operators.windows.LocalWindowPreAggregator;
import dev.substrate.operators.windows.QuietClosingWindowOperator;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.OutputTag;

/**
 * The telemetry windows: per-GPU aggregates in event time, 1-minute tumbling and 5-minute sliding
 * by 1 minute, each rolled up per node and per cluster.
 *
 * <pre>
 *  GpuSample ─► keyBy gpu ─► sort ─► pre-aggregate ─► keyBy gpu ─► tumbling 1 min ─┬─► GPU rows ───────────────────┐
 *               (event-time order  (one partial per GPU   (merges the partials)      ├─► keyBy node ─► NODE rows ─┐ ├─► 1-minute GpuMetrics
 *                per GPU)           and window)                                      │    └─► keyBy cluster ─► CLUSTER rows
 *                                    └─ late ─► late samples       └─► keyBy gpu ─► sliding 5 min / 1 min
 *                                                                   (merges five 1-minute windows) ─► same three levels ─► 5-minute GpuMetrics
 * </pre>
 *
 * <p>The energy and throttle shares integrate over consecutive readings of a GPU, so the readings
 * reach the aggregation in event-time order: keyed by GPU, an {@link EventTimeSorter} holds each
 * until the watermark passes it, whatever order the ingest's subtasks delivered them in. The values
 * are therefore the same at any parallelism. Every window aggregates incrementally: {@link
 * GpuWindowAggregator} updates an accumulator per reading, first in memory per subtask ({@link
 * LocalWindowPreAggregator}), then the keyed window merges the partials ({@link GpuWindowMerger});
 * the process functions only stamp window bounds. Accumulators are POJOs with DDSketch quantiles
 * serialized by {@link QuantileSketchTypeInfo}, so the job runs with {@code pipeline.generic-types:
 * false}. The input must carry event-time timestamps and watermarks (the job assigns them once, at
 * ingest). With allowed lateness the local phase is skipped (see {@link #gpuWindows}); a rollup
 * window and the 5-minute windows count each GPU window once, at its first firing, and re-firings
 * caused by allowed lateness update only the GPU rows of the 1-minute output.
 *
 * <p><b>A source that goes quiet still reports.</b> An idle input stops holding the watermark back
 * but does not move it on, so when a capture or the whole fleet stops, the windows holding its last
 * readings would never fire. Every window operator here is a {@link QuietClosingWindowOperator}: a
 * 1-minute GPU window closes, marked {@code closed_by = QUIET_TIME}, once event time has stood
 * still for {@link TelemetryWindowsConfig#quietClose() q} of processing time and the window got
 * nothing for q (once input and watermark stop, the sort releases the readings it holds within q/8,
 * {@link EventTimeSorter#withStallFlush}, and the pre-aggregation sends its partials within another
 * q/8, {@link LocalWindowPreAggregator#withStallFlush}). The levels behind wait longer, so that the
 * level before has closed and its windows have arrived when they close: the 5-minute GPU windows
 * and the 1-minute node rollups after 1.5 q of still event time, the 5-minute node and 1-minute
 * cluster rollups after 1.75 q, the 5-minute cluster rollups after 2 q (and each a q/8 after its
 * own last input). So every window holding readings is emitted once, with all of them, at every
 * level. While any input keeps event time moving, only the watermark closes windows (a GPU that
 * went silent among reporting ones included).
 *
 * <p>A reading that arrives after its window was closed by quiet time is counted in {@link
 * LateReadingsCounter#METRIC} (in the metric group of the window operator it missed, once per
 * window it missed) and is in {@code gpu_samples} like any other; with allowed lateness it updates
 * the GPU row instead ({@link GpuWindowBoundsFunction#UPDATES}), as a late reading does after a
 * watermark close. A window closed by quiet time never fires again when the watermark passes it
 * later; its state is cleared then.
 */
public final class TelemetryWindows {

    public static final Duration ONE_MINUTE = Duration.ofMinutes(1);
    public static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    /** Readings that arrived after their 1-minute window closed (plus the allowed lateness). */
    public static final OutputTag<GpuSample> LATE_SAMPLES =
            new OutputTag<>("late-gpu-samples", new AvroTypeInfo<>(GpuSample.class));

    private TelemetryWindows() {}

    /** Adds the windows behind {@code samples}, which carry timestamps and watermarks. */
    public static Output apply(DataStream<GpuSample> samples, TelemetryWindowsConfig config) {
        TypeInformation<GpuWindowAccumulator> gpuType = gpuWindowType();
        boolean quantiles = config.quantiles();
        long maxGap = config.maxGap().toMillis();

        GpuWindows gpuWindows = gpuWindows(samples, config);
        SingleOutputStreamOperator<GpuWindowAccumulator> gpu1m = gpuWindows.windows();

        SingleOutputStreamOperator<GpuWindowAccumulator> gpu5m =
                behind(
                                2,
                                gpu1m.keyBy(acc -> acc.gpuUuid, Types.STRING),
                                SlidingEventTimeWindows.of(FIVE_MINUTES, ONE_MINUTE),
                                config)
                        .lateInputs(LateReadingsCounter.METRIC, acc -> acc.sampleCount)
                        .aggregate(
                                new GpuWindowMerger(quantiles, maxGap),
                                new GpuWindowBoundsFunction(),
                                gpuType,
                                gpuType)
                        .uid("telemetry-gpu-window-5m")
                        .name("telemetry: GPU windows 5 min");

        DataStream<GpuMetrics> updates =
                gpu1m.getSideOutput(GpuWindowBoundsFunction.UPDATES)
                        .map(GpuMetricsConverter::fromGpu, metricsType())
                        .uid("telemetry-gpu-metrics-1m-updates")
                        .name("telemetry: late updates of GPU windows 1 min");

        DataStream<GpuMetrics> oneMinute = withRollups(gpu1m, 1, "1m", config).union(updates);
        DataStream<GpuMetrics> fiveMinutes = withRollups(gpu5m, 2, "5m", config);
        return new Output(oneMinute, fiveMinutes, gpuWindows.lateSamples());
    }

    /**
     * The 1-minute tumbling per-GPU windows alone. Without allowed lateness (the default) they are
     * aggregated in two phases: {@link LocalWindowPreAggregator}, behind the per-GPU event-time
     * sort so that one subtask sees each GPU's readings in order, sends one partial per GPU and
     * window, and a keyed window merges the partials ({@link GpuWindowMerger}). With allowed
     * lateness, every reading goes (sorted the same way) to the keyed window, which re-fires
     * updated windows to {@link GpuWindowBoundsFunction#UPDATES}. Either way the windows close by
     * quiet time too (see the class comment).
     */
    public static GpuWindows gpuWindows(
            DataStream<GpuSample> samples, TelemetryWindowsConfig config) {
        TypeInformation<GpuWindowAccumulator> gpuType = gpuWindowType();
        boolean quantiles = config.quantiles();
        long maxGap = config.maxGap().toMillis();
        Duration quiet = config.quietClose();
        if (!config.allowedLateness().isZero()) {
            // Late readings must reach the keyed window to update it: no local pre-aggregation.
            SingleOutputStreamOperator<GpuWindowAccumulator> windows =
                    QuietClosingWindowOperator.windows(
                                    DataStreamUtils.reinterpretAsKeyedStream(
                                            inEventTimeOrder(samples, quiet),
                                            GpuSample::getGpuUuid,
                                            Types.STRING),
                                    TumblingEventTimeWindows.of(ONE_MINUTE))
                            .quietClose(quiet, quiet)
                            .allowedLateness(config.allowedLateness())
                            .lateOutput(LATE_SAMPLES)
                            .lateInputs(LateReadingsCounter.METRIC, reading -> 1L)
                            .aggregate(
                                    new GpuWindowAggregator(quantiles, maxGap),
                                    new GpuWindowBoundsFunction(),
                                    gpuType,
                                    gpuType)
                            .uid("telemetry-gpu-window-1m-lateness")
                            .name("telemetry: GPU windows 1 min");
            return new GpuWindows(windows, windows.getSideOutput(LATE_SAMPLES));
        }
        // Sorted per GPU before the pre-aggregation: one subtask sees all of a GPU's readings, in
        // event-time order, so its partials never overlap in time. The merger joins consecutive
        // partials exactly; overlapping ones (one GPU's readings split over two subtasks) would
        // count the time-weighted integrals (energy, throttle shares) twice.
        SingleOutputStreamOperator<GpuWindowAccumulator> partials =
                inEventTimeOrder(samples, quiet)
                        .transform(
                                "telemetry: GPU pre-aggregation 1 min",
                                gpuType,
                                new LocalWindowPreAggregator<>(
                                                new GpuWindowAggregator(quantiles, maxGap),
                                                GpuSample::getGpuUuid,
                                                ONE_MINUTE.toMillis(),
                                                LATE_SAMPLES)
                                        .withStallFlush(quiet.dividedBy(16)))
                        .uid("telemetry-gpu-preaggregate-1m");
        SingleOutputStreamOperator<GpuWindowAccumulator> windows =
                QuietClosingWindowOperator.windows(
                                partials.keyBy(acc -> acc.gpuUuid, Types.STRING),
                                TumblingEventTimeWindows.of(ONE_MINUTE))
                        .quietClose(quiet, quiet)
                        .lateInputs(LateReadingsCounter.METRIC, acc -> acc.sampleCount)
                        .aggregate(
                                new GpuWindowMerger(quantiles, maxGap),
                                new GpuWindowBoundsFunction(),
                                gpuType,
                                gpuType)
                        .uid("telemetry-gpu-window-1m")
                        .name("telemetry: GPU windows 1 min");
        return new GpuWindows(windows, partials.getSideOutput(LATE_SAMPLES));
    }

    /**
     * Each GPU's readings in event-time order: keyed by GPU and held until the watermark passes
     * them ({@link EventTimeSorter}), so that the energy and throttle-share integrals see
     * consecutive readings whichever subtask of the ingest each came through. When event time and
     * the input stand still for q/16 the held readings leave anyway, well before the windows behind
     * close by quiet time. Operators behind are chained to it and may treat the stream as keyed by
     * GPU.
     */
    private static DataStream<GpuSample> inEventTimeOrder(
            DataStream<GpuSample> samples, Duration quiet) {
        AvroTypeInfo<GpuSample> type = new AvroTypeInfo<>(GpuSample.class);
        return samples.keyBy(GpuSample::getGpuUuid, Types.STRING)
                .transform(
                        "telemetry: GPU readings in event-time order",
                        type,
                        new EventTimeSorter<>(type).withStallFlush(quiet.dividedBy(16)))
                .uid("telemetry-gpu-event-time-order");
    }

    /**
     * A window {@code level} window operators behind the readings (2 for windows of the 1-minute
     * GPU windows, 3 for windows of those, ...): it waits for still event time for {@code (1 +
     * level / 4)} quiet periods, longer than the level before needs to close its windows by quiet
     * time and send them (see the class comment).
     */
    private static <IN> QuietClosingWindowOperator.Builder<String, IN> behind(
            int level,
            KeyedStream<IN, String> input,
            WindowAssigner<? super IN, TimeWindow> assigner,
            TelemetryWindowsConfig config) {
        Duration quiet = config.quietClose();
        return QuietClosingWindowOperator.windows(input, assigner)
                .quietClose(quiet.plus(quiet.multipliedBy(level).dividedBy(4)), quiet.dividedBy(8));
    }

    /**
     * GPU rows, plus node and cluster rollups of the same windows, which are {@code level} window
     * operators behind the readings.
     */
    private static DataStream<GpuMetrics> withRollups(
            DataStream<GpuWindowAccumulator> gpuWindows,
            int level,
            String size,
            TelemetryWindowsConfig config) {
        boolean quantiles = config.quantiles();
        TypeInformation<RollupAccumulator> rollupType = rollupType();
        DataStream<GpuMetrics> gpuRows =
                gpuWindows
                        .map(GpuMetricsConverter::fromGpu, metricsType())
                        .uid("telemetry-gpu-metrics-" + size)
                        .name("telemetry: GPU rows " + size);

        // The GPU windows carry timestamp end - 1, so a tumbling window of the slide (1 minute)
        // groups exactly the GPU windows that share their bounds.
        SingleOutputStreamOperator<RollupAccumulator> nodes =
                behind(
                                level + 1,
                                gpuWindows.keyBy(
                                        acc -> acc.region + '/' + acc.cluster + '/' + acc.node,
                                        Types.STRING),
                                TumblingEventTimeWindows.of(ONE_MINUTE),
                                config)
                        .lateInputs(LateReadingsCounter.METRIC, gpu -> gpu.sampleCount)
                        .aggregate(
                                new NodeRollupAggregator(quantiles),
                                new RollupBoundsFunction(),
                                rollupType,
                                rollupType)
                        .uid("telemetry-node-rollup-" + size)
                        .name("telemetry: node rollup " + size);
        SingleOutputStreamOperator<RollupAccumulator> clusters =
                behind(
                                level + 2,
                                nodes.keyBy(acc -> acc.region + '/' + acc.cluster, Types.STRING),
                                TumblingEventTimeWindows.of(ONE_MINUTE),
                                config)
                        .lateInputs(LateReadingsCounter.METRIC, node -> node.sampleCount)
                        .aggregate(
                                new ClusterRollupAggregator(quantiles),
                                new RollupBoundsFunction(),
                                rollupType,
                                rollupType)
                        .uid("telemetry-cluster-rollup-" + size)
                        .name("telemetry: cluster rollup " + size);

        DataStream<GpuMetrics> nodeRows =
                nodes.map(
                                acc -> GpuMetricsConverter.fromRollup(acc, MetricsLevel.NODE),
                                metricsType())
                        .uid("telemetry-node-metrics-" + size)
                        .name("telemetry: node rows " + size);
        DataStream<GpuMetrics> clusterRows =
                clusters.map(
                                acc -> GpuMetricsConverter.fromRollup(acc, MetricsLevel.CLUSTER),
                                metricsType())
                        .uid("telemetry-cluster-metrics-" + size)
                        .name("telemetry: cluster rows " + size);
        return gpuRows.union(nodeRows, clusterRows);
    }

    /** The type of the GPU window accumulator, with its own serializer. */
    public static TypeInformation<GpuWindowAccumulator> gpuWindowType() {
        return GpuWindowAccumulatorTypeInfo.INSTANCE;
    }

    public static TypeInformation<RollupAccumulator> rollupType() {
        return Types.POJO(RollupAccumulator.class);
    }

    public static TypeInformation<GpuMetrics> metricsType() {
        return new AvroTypeInfo<>(GpuMetrics.class);
    }

    /**
     * The 1-minute GPU windows and the readings too late for them.
     *
     * @param windows fired windows; re-fired ones on {@link GpuWindowBoundsFunction#UPDATES}
     * @param lateSamples readings whose window had closed
     */
    public record GpuWindows(
            SingleOutputStreamOperator<GpuWindowAccumulator> windows,
            DataStream<GpuSample> lateSamples) {}

    /**
     * The windows' outputs.
     *
     * @param oneMinute 1-minute tumbling rows of all levels (GPU, NODE, CLUSTER), plus updated GPU
     *     rows when late readings arrive within the allowed lateness
     * @param fiveMinutes 5-minute rows sliding by 1 minute, all levels
     * @param lateSamples readings too late for their 1-minute window
     */
    public record Output(
            DataStream<GpuMetrics> oneMinute,
            DataStream<GpuMetrics> fiveMinutes,
            DataStream<GpuSample> lateSamples) {}
}
