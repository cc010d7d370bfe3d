package dev.substrate.bench;

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
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
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

    record Run(String engine, long events, long netMillis, long rows, long count, double energy) {
        double eventsPerSecond() {
            return events * 1000.0 / netMillis;
        }
    }

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
        run(samples / 10, gpus, true);
        run(samples / 10, gpus, false);
        List<Run> runs = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            runs.add(report(run(samples, gpus, true)));
            runs.add(report(run(samples, gpus, false)));
        }
        Run first = runs.get(0);
        for (Run run : runs) {
            if (run.rows != first.rows
                    || run.count != first.count
                    || Math.abs(run.energy - first.energy) > 1e-9 * Math.abs(first.energy)) {
                throw new IllegalStateException("Results differ: " + run + " vs " + first);
            }
        }
        Run sorted = best(runs, "sorted");
        Run unsorted = best(runs, "unsorted");
        System.out.printf(
                Locale.ROOT,
                "best: sorted %,.0f events/s, unsorted %,.0f events/s, ratio %.2f;"
                        + " results agree: %,d windows, Σcount %,d, Σenergy %.1f J%n",
                sorted.eventsPerSecond(),
                unsorted.eventsPerSecond(),
                sorted.eventsPerSecond() / unsorted.eventsPerSecond(),
                first.rows,
                first.count,
                first.energy);
    }

    private static Run run(long count, int gpus, boolean sorted) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        DataStream<GpuSample> samples =
                env.fromSource(
                        new DataGeneratorSource<>(
                                new SampleGenerator(gpus),
                                count,
                                new AvroTypeInfo<>(GpuSample.class)),
                        WatermarkStrategy.<GpuSample>forMonotonousTimestamps()
                                .withTimestampAssigner((s, t) -> s.getTimestamp().toEpochMilli()),
                        "generator");
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
        String engine = sorted ? "sorted" : "unsorted";
        JobExecutionResult result = env.execute("bench-order-" + engine);
        return new Run(
                engine,
                count,
                result.getNetRuntime(TimeUnit.MILLISECONDS),
                result.<Long>getAccumulatorResult("rows"),
                result.<Long>getAccumulatorResult("countSum"),
                result.<Double>getAccumulatorResult("powerSum"));
    }

    /** The 1-minute GPU windows as they were before the sort: keyBy GPU, pre-aggregate, merge. */
    private static DataStream<GpuWindowAccumulator> withoutSort(
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

    private static Run best(List<Run> runs, String engine) {
        return runs.stream()
                .filter(r -> r.engine.equals(engine))
                .min((a, b) -> Long.compare(a.netMillis, b.netMillis))
                .orElseThrow();
    }

    private static Run report(Run run) {
        System.out.printf(
                Locale.ROOT,
                "%-9s %,12.0f events/s  (%,d events in %.2f s, %,d windows)%n",
                run.engine,
                run.eventsPerSecond(),
                run.events,
                run.netMillis / 1000.0,
                run.rows);
        return run;
    }
}
