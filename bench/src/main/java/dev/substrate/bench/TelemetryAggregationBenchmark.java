package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import dev.substrate.operators.telemetry.windows.TelemetryWindowsConfig;
import dev.substrate.operators.windows.LocalWindowPreAggregator;
import dev.substrate.operators.windows.QuietClosingWindowOperator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.DoubleCounter;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Throughput of the per-GPU 1-minute aggregation (count, sum, mean, min, max of utilization, power,
 * temperature and memory used) as our DataStream operator and as a Flink SQL window TVF query, over
 * the same deterministic input, in one process. Not a test: run it with {@code
 * bench/run-benchmarks.sh} and copy its report into {@code docs/BENCHMARKS.md}.
 *
 * <pre>
 *  ours:       generator ─► GpuSample ─► pre-aggregate (chained) ─► keyBy gpu ─► tumbling 1 min, merge ─► checksum
 *  ours-direct: generator ─► GpuSample ─► keyBy gpu ─► tumbling 1 min, BasicGpuStatsAggregator ─► checksum
 *              (both windows close by quiet time too, as in production: QuietClosingWindowOperator)
 *  SQL:        generator ─► GpuSample ─► Row ─► fromDataStream ─► TUMBLE ... GROUP BY window, gpu ─► checksum
 *  SQL (rows): generator ─► Row (only the aggregated columns) ─► fromDataStream ─► same query ─► checksum
 * </pre>
 *
 * <p>Arguments: {@code --samples 10000000 --gpus 10000 --parallelism 1 --rounds 3}. Each engine
 * runs once on a tenth of the input to warm up, then {@code rounds} times alternating; the best
 * round of each is reported (job net runtime, from deployment to the last record), and every run's
 * result checksum (rows, Σcount, Σpower) must agree.
 */
public final class TelemetryAggregationBenchmark {

    static final String QUERY =
            "SELECT window_start, window_end, gpu_uuid, COUNT(*) AS n,"
                    + " SUM(utilization_pct) AS util_sum, AVG(utilization_pct) AS util_mean,"
                    + " MIN(utilization_pct) AS util_min, MAX(utilization_pct) AS util_max,"
                    + " SUM(power_draw_w) AS power_sum, AVG(power_draw_w) AS power_mean,"
                    + " MIN(power_draw_w) AS power_min, MAX(power_draw_w) AS power_max,"
                    + " SUM(temperature_c) AS temp_sum, AVG(temperature_c) AS temp_mean,"
                    + " MIN(temperature_c) AS temp_min, MAX(temperature_c) AS temp_max,"
                    + " SUM(CAST(memory_used_mib AS DOUBLE)) AS mem_sum,"
                    + " AVG(CAST(memory_used_mib AS DOUBLE)) AS mem_mean,"
                    + " MIN(memory_used_mib) AS mem_min, MAX(memory_used_mib) AS mem_max"
                    + " FROM TABLE(TUMBLE(TABLE samples, DESCRIPTOR(rowtime), INTERVAL '1' MINUTE))"
                    + " GROUP BY window_start, window_end, gpu_uuid";

    private TelemetryAggregationBenchmark() {}

    /** One run: what ran, how long, and its result checksum. */
    record Run(
            String engine, long events, long netMillis, long rows, long countSum, double powerSum) {
        double eventsPerSecond() {
            return events * 1000.0 / netMillis;
        }
    }

    public static void main(String[] args) throws Exception {
        long samples = longArg(args, "--samples", 10_000_000L);
        int gpus = (int) longArg(args, "--gpus", 10_000L);
        int parallelism = (int) longArg(args, "--parallelism", 1L);
        int rounds = (int) longArg(args, "--rounds", 3L);

        System.out.println(machine());
        System.out.printf(
                Locale.ROOT,
                "input: %,d readings of %,d GPUs (%d s of event time), parallelism %d, %d rounds%n",
                samples,
                gpus,
                samples / gpus,
                parallelism,
                rounds);

        long warmup = Math.max(gpus, samples / 10);
        report("warm-up", ours(warmup, gpus, parallelism, false));
        report("warm-up", ours(warmup, gpus, parallelism, true));
        report("warm-up", sql(warmup, gpus, parallelism, false));
        report("warm-up", sql(warmup, gpus, parallelism, true));

        List<Run> runs = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            runs.add(report("round " + r, ours(samples, gpus, parallelism, false)));
            runs.add(report("round " + r, ours(samples, gpus, parallelism, true)));
            runs.add(report("round " + r, sql(samples, gpus, parallelism, false)));
            runs.add(report("round " + r, sql(samples, gpus, parallelism, true)));
        }
        Run first = sameResults(runs);
        Run ours = best(runs, "ours");
        Run oursDirect = best(runs, "ours-direct");
        Run sql = best(runs, "sql");
        Run sqlRows = best(runs, "sql-rows");
        System.out.println();
        System.out.println("| pipeline | events/s (best of " + rounds + ") | net runtime |");
        System.out.println("|---|---:|---:|");
        for (Run run : List.of(ours, oursDirect, sql, sqlRows)) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %,.0f | %.2f s |%n",
                    describe(run.engine),
                    run.eventsPerSecond(),
                    run.netMillis / 1000.0);
        }
        System.out.printf(
                Locale.ROOT,
                "%nratio ours / SQL (same GpuSample stream): %.2f%nratio ours / SQL (rows"
                        + " generated for SQL): %.2f%nratio ours one-phase / SQL (same stream):"
                        + " %.2f%nresults agree: %,d rows, Σcount %,d%n",
                ours.eventsPerSecond() / sql.eventsPerSecond(),
                ours.eventsPerSecond() / sqlRows.eventsPerSecond(),
                oursDirect.eventsPerSecond() / sql.eventsPerSecond(),
                first.rows,
                first.countSum);
    }

    private static String describe(String engine) {
        return switch (engine) {
            case "ours" -> "ours: local pre-aggregation, keyBy, tumbling window merging partials";
            case "ours-direct" -> "ours, one phase: keyBy, tumbling window, AggregateFunction";
            case "sql" -> "Flink SQL TUMBLE TVF, from the same GpuSample stream";
            default -> "Flink SQL TUMBLE TVF, from Rows generated for it";
        };
    }

    /** The first of {@code runs}, after checking that every run's checksum equals its own. */
    static Run sameResults(List<Run> runs) {
        Run first = runs.get(0);
        for (Run run : runs) {
            if (run.rows != first.rows
                    || run.countSum != first.countSum
                    || Math.abs(run.powerSum - first.powerSum) > 1e-9 * Math.abs(first.powerSum)) {
                throw new IllegalStateException("Results differ: " + run + " vs " + first);
            }
        }
        return first;
    }

    static Run best(List<Run> runs, String engine) {
        return runs.stream()
                .filter(r -> r.engine.equals(engine))
                .min((a, b) -> Long.compare(a.netMillis, b.netMillis))
                .orElseThrow();
    }

    static Run report(String label, Run run) {
        System.out.printf(
                Locale.ROOT,
                "%-8s %-9s %,12.0f events/s  (%,d events in %.2f s, %,d rows)%n",
                label,
                run.engine,
                run.eventsPerSecond(),
                run.events,
                run.netMillis / 1000.0,
                run.rows);
        return run;
    }

    static StreamExecutionEnvironment env(int parallelism) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        return env;
    }

    static DataStream<GpuSample> samples(StreamExecutionEnvironment env, long count, int gpus) {
        return env.fromSource(
                new DataGeneratorSource<>(
                        new SampleGenerator(gpus), count, new AvroTypeInfo<>(GpuSample.class)),
                WatermarkStrategy.<GpuSample>forMonotonousTimestamps()
                        .withTimestampAssigner((s, t) -> s.getTimestamp().toEpochMilli()),
                "generator");
    }

    /**
     * Our operator as the telemetry stage runs it: {@link LocalWindowPreAggregator} chained to the
     * source (with its stall flush), then keyBy GPU and a 1-minute tumbling {@link
     * QuietClosingWindowOperator} merging the partials, with the default quiet close; or, {@code
     * direct}, every reading through keyBy into the window's incremental aggregate.
     */
    static Run ours(long count, int gpus, int parallelism, boolean direct) throws Exception {
        StreamExecutionEnvironment env = env(parallelism);
        TypeInformation<BasicGpuStats> type = Types.POJO(BasicGpuStats.class);
        DataStream<GpuSample> samples = samples(env, count, gpus);
        Duration minute = Duration.ofMinutes(1);
        Duration quiet = TelemetryWindowsConfig.DEFAULT_QUIET_CLOSE;
        DataStream<BasicGpuStats> windows;
        if (direct) {
            windows =
                    QuietClosingWindowOperator.windows(
                                    samples.keyBy(GpuSample::getGpuUuid, Types.STRING),
                                    TumblingEventTimeWindows.of(minute))
                            .quietClose(quiet, quiet)
                            .lateInputs("readingsTooLateForWindows", reading -> 1L)
                            .aggregate(
                                    new BasicGpuStatsAggregator(), new StampWindow(), type, type);
        } else {
            DataStream<BasicGpuStats> partials =
                    samples.transform(
                            "pre-aggregate",
                            type,
                            new LocalWindowPreAggregator<>(
                                            new BasicGpuStatsAggregator(),
                                            GpuSample::getGpuUuid,
                                            minute.toMillis(),
                                            new OutputTag<>(
                                                    "late", new AvroTypeInfo<>(GpuSample.class)))
                                    .withStallFlush(quiet.dividedBy(8)));
            windows =
                    QuietClosingWindowOperator.windows(
                                    partials.keyBy(s -> s.gpuUuid, Types.STRING),
                                    TumblingEventTimeWindows.of(minute))
                            .quietClose(quiet, quiet)
                            .lateInputs("readingsTooLateForWindows", partial -> partial.count)
                            .aggregate(new BasicGpuStatsMerger(), new StampWindow(), type, type);
        }
        windows.map(new Checksum<>(s -> s.count, s -> s.power.sum), Types.BOOLEAN)
                .sinkTo(new DiscardingSink<>());
        return run(env, direct ? "ours-direct" : "ours", count);
    }

    /** The same aggregation as a Flink SQL window TVF query. */
    static Run sql(long count, int gpus, int parallelism, boolean rowsGenerated) throws Exception {
        StreamExecutionEnvironment env = env(parallelism);
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        DataStream<Row> rows;
        if (rowsGenerated) {
            RowTypeInfo type =
                    new RowTypeInfo(
                            new TypeInformation<?>[] {
                                Types.LONG,
                                Types.STRING,
                                Types.DOUBLE,
                                Types.DOUBLE,
                                Types.DOUBLE,
                                Types.LONG
                            },
                            new String[] {
                                "ts",
                                "gpu_uuid",
                                "utilization_pct",
                                "power_draw_w",
                                "temperature_c",
                                "memory_used_mib"
                            });
            rows =
                    env.fromSource(
                            new DataGeneratorSource<>(new RowGenerator(gpus), count, type),
                            WatermarkStrategy.<Row>forMonotonousTimestamps()
                                    .withTimestampAssigner((r, t) -> (Long) r.getField(0)),
                            "generator");
        } else {
            RowTypeInfo type = GpuSampleRows.TYPE;
            rows = samples(env, count, gpus).map(GpuSampleRows::toRow, type);
        }
        addSqlWindows(tables, rows);
        return run(env, rowsGenerated ? "sql-rows" : "sql", count);
    }

    /**
     * {@link #QUERY} over {@code rows} (event time and watermarks from the stream), its result rows
     * summed into the {@link Checksum} accumulators, then discarded.
     */
    static void addSqlWindows(StreamTableEnvironment tables, DataStream<Row> rows) {
        Table input =
                tables.fromDataStream(
                        rows,
                        Schema.newBuilder()
                                .columnByMetadata("rowtime", "TIMESTAMP_LTZ(3)")
                                .watermark("rowtime", "SOURCE_WATERMARK()")
                                .build());
        tables.createTemporaryView("samples", input);
        tables.toDataStream(tables.sqlQuery(QUERY))
                .map(
                        new Checksum<Row>(
                                r -> (Long) r.getField("n"), r -> (Double) r.getField("power_sum")),
                        Types.BOOLEAN)
                .name("checksum")
                .sinkTo(new DiscardingSink<>())
                .name("discard");
    }

    static Run run(StreamExecutionEnvironment env, String engine, long count) throws Exception {
        JobExecutionResult result = env.execute("bench-" + engine);
        return new Run(
                engine,
                count,
                result.getNetRuntime(TimeUnit.MILLISECONDS),
                result.<Long>getAccumulatorResult("rows"),
                result.<Long>getAccumulatorResult("countSum"),
                result.<Double>getAccumulatorResult("powerSum"));
    }

    /** Stamps window bounds and key on the pre-aggregated result; sees one element. */
    static final class StampWindow
            extends ProcessWindowFunction<BasicGpuStats, BasicGpuStats, String, TimeWindow> {
        @Override
        public void process(
                String gpu,
                Context context,
                Iterable<BasicGpuStats> aggregates,
                Collector<BasicGpuStats> out) {
            for (BasicGpuStats stats : aggregates) {
                stats.gpuUuid = gpu;
                stats.windowStart = context.window().getStart();
                stats.windowEnd = context.window().getEnd();
                out.collect(stats);
            }
        }
    }

    /** Adds each result row to the job's checksum accumulators. */
    static final class Checksum<T> extends RichMapFunction<T, Boolean> {
        private final SerializableFunction<T, Long> count;
        private final SerializableFunction<T, Double> power;
        private transient LongCounter rows;
        private transient LongCounter countSum;
        private transient DoubleCounter powerSum;

        Checksum(SerializableFunction<T, Long> count, SerializableFunction<T, Double> power) {
            this.count = count;
            this.power = power;
        }

        @Override
        public void open(OpenContext context) {
            rows = getRuntimeContext().getLongCounter("rows");
            countSum = getRuntimeContext().getLongCounter("countSum");
            powerSum = new DoubleCounter();
            getRuntimeContext().addAccumulator("powerSum", powerSum);
        }

        @Override
        public Boolean map(T value) throws Exception {
            rows.add(1);
            countSum.add(count.apply(value));
            powerSum.add(power.apply(value));
            return Boolean.TRUE;
        }
    }

    /** The SQL-only input: the aggregated columns, generated as Rows from the same formulas. */
    static final class RowGenerator implements GeneratorFunction<Long, Row> {
        private final int gpus;
        private transient String[] uuids;

        RowGenerator(int gpus) {
            this.gpus = gpus;
        }

        @Override
        public void open(org.apache.flink.api.connector.source.SourceReaderContext context) {
            uuids = new String[gpus];
            for (int g = 0; g < gpus; g++) {
                uuids[g] = SampleGenerator.uuid(g);
            }
        }

        @Override
        public Row map(Long index) {
            long i = index;
            return Row.of(
                    SampleGenerator.timestamp(i, gpus),
                    uuids[(int) (i % gpus)],
                    SampleGenerator.utilization(i),
                    SampleGenerator.power(i),
                    SampleGenerator.temperature(i),
                    SampleGenerator.memoryUsed(i));
        }
    }

    static long longArg(String[] args, String name, long defaultValue) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Long.parseLong(args[i + 1].replace("_", ""));
            }
        }
        return defaultValue;
    }

    /** The machine, for the record: cores, CPU model, memory, Java. */
    static String machine() {
        String cpu = "unknown";
        String memory = "unknown";
        try {
            cpu =
                    Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                            .filter(l -> l.startsWith("model name"))
                            .map(l -> l.substring(l.indexOf(':') + 1).trim())
                            .findFirst()
                            .orElse(cpu);
            memory =
                    Files.readAllLines(Path.of("/proc/meminfo")).stream()
                            .filter(l -> l.startsWith("MemTotal"))
                            .map(l -> l.replaceAll("\\D+", ""))
                            .map(
                                    kb ->
                                            String.format(
                                                    Locale.ROOT,
                                                    "%.1f GiB",
                                                    Long.parseLong(kb) / 1048576.0))
                            .findFirst()
                            .orElse(memory);
        } catch (IOException | RuntimeException e) {
            // Not Linux: leave unknown.
        }
        return String.format(
                Locale.ROOT,
                "machine: %d cores (nproc), %s, %s memory, Java %s (%s), max heap %d MiB",
                Runtime.getRuntime().availableProcessors(),
                cpu,
                memory,
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().maxMemory() / (1024 * 1024));
    }
}
