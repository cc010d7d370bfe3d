package dev.substrate.bench;

import dev.substrate.bench.TelemetryAggregationBenchmark.Run;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.telemetry.windows.GpuWindowAccumulator;
import dev.substrate.operators.telemetry.windows.GpuWindowAggregator;
import dev.substrate.operators.telemetry.windows.GpuWindowBoundsFunction;
import dev.substrate.operators.telemetry.windows.GpuWindowMerger;
import dev.substrate.operators.telemetry.windows.LateReadingsCounter;
import dev.substrate.operators.telemetry.windows.TelemetryWindows;
import dev.substrate.operators.telemetry.windows.TelemetryWindowsConfig;
import dev.substrate.operators.windows.LocalWindowPreAggregator;
import dev.substrate.operators.windows.QuietClosingWindowOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;

/**
 * What the per-GPU event-time sort costs: the production 1-minute GPU windows ({@link
 * TelemetryWindows#gpuWindows}, readings sorted per GPU before the pre-aggregation) against the
 * same windows without the sort (keyBy GPU straight into the pre-aggregation, as before issue 11's
 * fix), alternately in one process, on the same generated readings ({@link SampleGenerator}, in
 * time order at parallelism 1, so both give the same exact values and their checksums of count and
 * energy must agree).
 *
 * <p>Arguments: {@code --samples 2000000 --gpus 1000 --rounds 3}.
 */
public final class EventTimeOrderBenchmark {

    private EventTimeOrderBenchmark() {}

    public static void main(String[] args) throws Exception {
        long samples = TelemetryAggregationBenchmark.longArg(args, "--samples", 2_000_000L);
        int gpus = (int) TelemetryAggregationBenchmark.longArg(args, "--gpus", 1_000L);
        int rounds = (int) TelemetryAggregationBenchmark.longArg(args, "--rounds", 3L);
        System.out.printf(
                Locale.ROOT,
                "input: %,d readings of %,d GPUs, parallelism 1, %d rounds%n",
                samples,
                gpus,
                rounds);
        TelemetryAggregationBenchmark.report("warm-up", run(samples / 10, gpus, true));
        TelemetryAggregationBenchmark.report("warm-up", run(samples / 10, gpus, false));
        List<Run> runs = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            runs.add(TelemetryAggregationBenchmark.report("round " + r, run(samples, gpus, true)));
            runs.add(TelemetryAggregationBenchmark.report("round " + r, run(samples, gpus, false)));
        }
        Run first = TelemetryAggregationBenchmark.sameResults(runs);
        Run sorted = TelemetryAggregationBenchmark.best(runs, "sorted");
        Run unsorted = TelemetryAggregationBenchmark.best(runs, "unsorted");
        System.out.printf(
                Locale.ROOT,
                "best: sorted %,.0f events/s, unsorted %,.0f events/s, ratio %.2f;"
                        + " results agree: %,d windows, Σcount %,d, Σenergy %.1f J%n",
                sorted.eventsPerSecond(),
                unsorted.eventsPerSecond(),
                sorted.eventsPerSecond() / unsorted.eventsPerSecond(),
                first.rows(),
                first.countSum(),
                first.powerSum());
    }

    /** One job over {@code count} readings; its checksum's "power" is the windows' energy. */
    private static Run run(long count, int gpus, boolean sorted) throws Exception {
        StreamExecutionEnvironment env = TelemetryAggregationBenchmark.env(1);
        DataStream<GpuSample> samples = TelemetryAggregationBenchmark.samples(env, count, gpus);
        TelemetryWindowsConfig config = TelemetryWindowsConfig.defaults();
        DataStream<GpuWindowAccumulator> windows =
                sorted
                        ? TelemetryWindows.gpuWindows(samples, config).windows()
                        : withoutSort(samples, config);
        windows.map(
                        new TelemetryAggregationBenchmark.Checksum<GpuWindowAccumulator>(
                                acc -> acc.sampleCount,
                                acc -> acc.energyJoules() == null ? 0.0 : acc.energyJoules()),
                        Types.BOOLEAN)
                .sinkTo(new DiscardingSink<>());
        return TelemetryAggregationBenchmark.run(env, sorted ? "sorted" : "unsorted", count);
    }

    /** The 1-minute GPU windows as they were before the sort: keyBy GPU, pre-aggregate, merge. */
    static DataStream<GpuWindowAccumulator> withoutSort(
            DataStream<GpuSample> samples, TelemetryWindowsConfig config) {
        TypeInformation<GpuWindowAccumulator> type = TelemetryWindows.gpuWindowType();
        long maxGap = config.maxGap().toMillis();
        DataStream<GpuWindowAccumulator> partials =
                samples.keyBy(GpuSample::getGpuUuid, Types.STRING)
                        .transform(
                                "pre-aggregate",
                                type,
                                new LocalWindowPreAggregator<>(
                                                new GpuWindowAggregator(true, maxGap),
                                                GpuSample::getGpuUuid,
                                                TelemetryWindows.ONE_MINUTE.toMillis(),
                                                TelemetryWindows.LATE_SAMPLES)
                                        .withStallFlush(config.quietClose().dividedBy(16)));
        return QuietClosingWindowOperator.windows(
                        partials.keyBy(acc -> acc.gpuUuid, Types.STRING),
                        TumblingEventTimeWindows.of(TelemetryWindows.ONE_MINUTE))
                .quietClose(config.quietClose(), config.quietClose())
                .lateInputs(LateReadingsCounter.METRIC, acc -> acc.sampleCount)
                .aggregate(
                        new GpuWindowMerger(true, maxGap),
                        new GpuWindowBoundsFunction(),
                        type,
                        type);
    }
}
