package dev.substrate.jobs.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.collector.GpuCollector;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sinks.lake.LakeTables;
import dev.substrate.sources.kafka.DeadLetterSplitter;
import dev.substrate.sources.kafka.EventKafkaSource;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.CommonTestUtils;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Either;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live nvidia-smi capture that stops, while the job keeps running: two nodes' CSV files tailed by
 * {@code substrate collect} ({@link GpuCollector}, one per node) into the real Kafka topic, read
 * back, decoded and given the job's event time as the ingest does, through the telemetry-windows
 * stage into Iceberg, on a MiniCluster at parallelism 2, with a 4 s quiet close. Node n2's capture
 * ends 40 s (of event time) before n1's. Once the files stop growing, every window holding readings
 * is in the lake exactly once, at every level and both sizes, with all its readings; those the
 * watermark could not reach say {@code closed_by = QUIET_TIME}. Then n1's capture resumes four
 * minutes (of event time) later: the watermark passes the quiet-closed windows without a second
 * row, and the new minute is reported the same way. The 1-minute table was left by an older run
 * without {@code closed_by}: it gains the column.
 */
class QuietCloseITCase {

    private static final Duration QUIET = Duration.ofSeconds(4);

    /** Event time appended to each capture at a time. */
    private static final long CHUNK = 2_000;

    private static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(10);
    private static final long MINUTE = 60_000;
    private static final long T0 = Instant.parse("2026-11-26T22:00:00Z").toEpochMilli();
    private static final String CLUSTER = "use1-h100-a";
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final String HEADER =
            "timestamp, name, uuid, index, utilization.gpu, memory.used, memory.total,"
                    + " temperature.gpu, power.draw, clocks_event_reasons.active\n";

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(List.of(EventType.GPU_SAMPLE.topic()));

    @TempDir Path dir;

    /** One line written to a capture file. */
    record Reading(String node, String gpu, long timestamp) {}

    /** A lake row's identity: window size, level, what it aggregates, window start. */
    record RowKey(int sizeSeconds, String level, String entity, long windowStart) {}

    @Test
    void theLastMinuteOfAStoppedCaptureIsReportedOnceAtEveryLevel(
            @InjectMiniCluster MiniCluster miniCluster) throws Exception {
        Path n1 = Files.writeString(dir.resolve("n1.csv"), HEADER);
        Path n2 = Files.writeString(dir.resolve("n2.csv"), HEADER);
        LakeCatalogConfig lake = LakeCatalogConfig.hadoop(dir.resolve("warehouse"));
        Catalog catalog = lake.loadCatalog();
        // An older run's table, from GpuMetrics v1: no closed_by column.
        LakeTables.ensureTable(
                catalog,
                new LakeTableSpec(
                        TelemetryWindowsStage.METRICS_1M_TABLE,
                        SchemaHistory.versions("GpuMetrics").get(0),
                        "window_start",
                        "cluster"));

        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(500));
        config.set(TelemetryWindowsOptions.QUIET_CLOSE, QUIET);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        SchemaRegistryConfig registry = SchemaRegistryConfig.of(SERVICES.registry().url());
        DataStream<GpuSample> samples =
                env.fromSource(
                                EventKafkaSource.build(
                                        EventType.GPU_SAMPLE,
                                        GpuSample.class,
                                        SERVICES.broker().bootstrapServers(),
                                        registry,
                                        "quiet-close-itcase",
                                        OffsetsInitializer.earliest(),
                                        null),
                                // A partition that stops getting readings stops holding event
                                // time back soon after.
                                EventTimeWatermarks
                                        .<Either<DeadLetter, Sourced<GpuSample>>>strategy(
                                                r ->
                                                        r.isRight()
                                                                ? r.right()
                                                                        .record()
                                                                        .getTimestamp()
                                                                        .toEpochMilli()
                                                                : EventTimeWatermarks.NO_EVENT_TIME,
                                                OUT_OF_ORDERNESS,
                                                Duration.ofSeconds(1),
                                                Duration.ofDays(36_500)),
                                "kafka: " + EventType.GPU_SAMPLE.topic())
                        .process(new DeadLetterSplitter<Sourced<GpuSample>>())
                        .returns(new SourcedTypeInfo<>(new AvroTypeInfo<>(GpuSample.class)))
                        .map(Sourced::record)
                        .returns(new AvroTypeInfo<>(GpuSample.class));
        new TelemetryWindowsStage(
                        new TelemetryWindowsStage.Settings(
                                TelemetryWindowsOptions.windows(config), lake, null))
                .addTo(samples);
        JobClient job = env.executeAsync("quiet-close-itcase");
        try (GpuCollector n1Collector = collector(n1, "n1", registry);
                GpuCollector n2Collector = collector(n2, "n2", registry)) {
            // Both captures start together once every task runs, so neither waits for the other.
            CommonTestUtils.waitForAllTaskRunning(miniCluster, job.getJobID(), false);
            List<Reading> first = new ArrayList<>();
            // Both captures grow together, as live ones do: each collector publishes to the same
            // partitions, so their readings must arrive within the out-of-orderness of each other.
            for (long from = T0; from < T0 + 150_000; from += CHUNK) {
                first.addAll(capture(n1, "n1", from, from + CHUNK)); // until 22:02:29
                if (from < T0 + 110_000) {
                    first.addAll(capture(n2, "n2", from, from + CHUNK)); // until 22:01:49
                }
                Thread.sleep(100);
            }

            Map<RowKey, Long> expected1m = expectedRows(first, 1);
            Map<RowKey, Long> expected5m = expectedRows(first, 5);
            assertThat(expected1m).hasSize(18);
            assertThat(expected5m).hasSize(46);
            Map<RowKey, Record> rows1m = awaitRows(catalog, "gpu_metrics_1m", expected1m.size());
            Map<RowKey, Record> rows5m = awaitRows(catalog, "gpu_metrics_5m", expected5m.size());
            long watermark = lastWatermark(first);
            assertRows(rows1m, expected1m, watermark);
            assertRows(rows5m, expected5m, watermark);
            assertThat(rows1m.keySet())
                    .as("n1's last minute, GPU, node and cluster")
                    .contains(
                            new RowKey(60, "GPU", "GPU-n1-0", T0 + 2 * MINUTE),
                            new RowKey(60, "NODE", "n1", T0 + 2 * MINUTE),
                            new RowKey(60, "CLUSTER", CLUSTER, T0 + 2 * MINUTE));

            // n1 resumes at 22:06: the watermark passes the quiet-closed windows, no second row.
            List<Reading> second = new ArrayList<>();
            for (long from = T0 + 6 * MINUTE; from < T0 + 6 * MINUTE + 30_000; from += CHUNK) {
                second.addAll(capture(n1, "n1", from, from + CHUNK));
                Thread.sleep(100);
            }
            Map<RowKey, Long> later1m = new HashMap<>(expected1m);
            Map<RowKey, Long> later5m = new HashMap<>(expected5m);
            // A window closed before keeps its row; the new readings are too late for it.
            expectedRows(second, 1).forEach(later1m::putIfAbsent);
            expectedRows(second, 5).forEach(later5m::putIfAbsent);
            assertThat(later1m).hasSize(18 + 4);
            assertThat(later5m).hasSize(46 + 16);
            Map<RowKey, Record> after1m = awaitRows(catalog, "gpu_metrics_1m", later1m.size());
            Map<RowKey, Record> after5m = awaitRows(catalog, "gpu_metrics_5m", later5m.size());
            // Anything pending would commit with the next checkpoints: wait for a few.
            Thread.sleep(2_000);
            after1m = awaitRows(catalog, "gpu_metrics_1m", later1m.size());
            after5m = awaitRows(catalog, "gpu_metrics_5m", later5m.size());
            long laterWatermark = lastWatermark(second);
            assertRows(newRows(after1m, rows1m), newRows(later1m, expected1m), laterWatermark);
            assertRows(newRows(after5m, rows5m), newRows(later5m, expected5m), laterWatermark);
            assertRows(keep(after1m, rows1m), expected1m, watermark);
            assertRows(keep(after5m, rows5m), expected5m, watermark);
        } finally {
            job.cancel().get();
        }
        Table evolved = catalog.loadTable(LakeTables.identifier("gpu_metrics_1m"));
        assertThat(evolved.schema().findField("closed_by")).isNotNull();
    }

    /** {@code substrate collect --file <capture> --follow} for one node, started. */
    private static GpuCollector collector(Path capture, String node, SchemaRegistryConfig registry)
            throws Exception {
        GpuCollector collector =
                GpuCollector.builder()
                        .bootstrapServers(SERVICES.broker().bootstrapServers())
                        .registry(registry)
                        .labels("us-east-1", CLUSTER, node)
                        .timeZone(ZoneOffset.UTC)
                        .inputSettings(input -> input.pollInterval(Duration.ofMillis(50)))
                        .csvFile(capture, true)
                        .build();
        collector.start();
        return collector;
    }

    /** Appends one reading a second of GPUs {@code <node>-0} and {@code -1} to the capture. */
    private static List<Reading> capture(Path file, String node, long from, long to)
            throws Exception {
        List<Reading> readings = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        for (long t = from; t < to; t += 1_000) {
            for (int index = 0; index < 2; index++) {
                String gpu = "GPU-" + node + "-" + index;
                readings.add(new Reading(node, gpu, t));
                lines.append(
                        String.format(
                                Locale.ROOT,
                                "%s, NVIDIA H100 80GB HBM3, %s, %d, %d, %d, 81559, %d, %.2f, 0x0%n",
                                TIME.format(Instant.ofEpochMilli(t)),
                                gpu,
                                index,
                                (t / 1000) % 100,
                                20_000 + (t / 1000) % 1000,
                                40 + (t / 1000) % 30,
                                300.0 + (t / 1000) % 400));
            }
        }
        // One write: the collector tails whole lines only.
        Files.writeString(
                file, lines.toString(), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return readings;
    }

    /**
     * The rows a {@code minutes}-minute window (sliding by one minute) must produce from {@code
     * readings}, with their sample counts: per GPU, per node and per cluster.
     */
    private static Map<RowKey, Long> expectedRows(List<Reading> readings, int minutes) {
        Map<RowKey, Long> rows = new TreeMap<>(QuietCloseITCase::compare);
        for (Reading r : readings) {
            long minute = r.timestamp() - Math.floorMod(r.timestamp(), MINUTE);
            for (int back = 0; back < minutes; back++) {
                long start = minute - back * MINUTE;
                int size = minutes * 60;
                rows.merge(new RowKey(size, "GPU", r.gpu(), start), 1L, Long::sum);
                rows.merge(new RowKey(size, "NODE", r.node(), start), 1L, Long::sum);
                rows.merge(new RowKey(size, "CLUSTER", CLUSTER, start), 1L, Long::sum);
            }
        }
        return rows;
    }

    /** Where event time stops: the newest reading less the out-of-orderness. */
    private static long lastWatermark(List<Reading> readings) {
        long newest = readings.stream().mapToLong(Reading::timestamp).max().orElseThrow();
        return newest - OUT_OF_ORDERNESS.toMillis() - 1;
    }

    /**
     * Every expected row, with its readings; windows the watermark passed closed by it, the others
     * by quiet time.
     */
    private static void assertRows(
            Map<RowKey, Record> rows, Map<RowKey, Long> expected, long watermark) {
        assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<RowKey, Long> e : expected.entrySet()) {
            Record row = rows.get(e.getKey());
            long end = e.getKey().windowStart() + e.getKey().sizeSeconds() * 1000L;
            String closedBy = end - 1 <= watermark ? "WATERMARK" : "QUIET_TIME";
            if (!e.getValue().equals(row.getField("sample_count"))
                    || !closedBy.equals(row.getField("closed_by"))) {
                wrong.add(
                        e.getKey()
                                + ": "
                                + row.getField("sample_count")
                                + " readings, closed by "
                                + row.getField("closed_by")
                                + "; expected "
                                + e.getValue()
                                + ", "
                                + closedBy);
            }
        }
        assertThat(wrong).as("rows with other readings or another close").isEmpty();
    }

    /**
     * Waits until {@code table} holds {@code count} rows, then returns them by key; more rows, or
     * two rows with one key, fail at once.
     */
    private static Map<RowKey, Record> awaitRows(Catalog catalog, String table, int count)
            throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            List<Record> rows =
                    catalog.tableExists(LakeTables.identifier(table))
                            ? LakeReader.readAll(catalog, table)
                            : List.of();
            Map<RowKey, Record> byKey = new TreeMap<>(QuietCloseITCase::compare);
            for (Record row : rows) {
                Record previous = byKey.put(key(row), row);
                assertThat(previous).as("a second row for %s in %s", key(row), table).isNull();
            }
            assertThat(rows.size()).as("rows in %s", table).isLessThanOrEqualTo(count);
            if (rows.size() == count) {
                return byKey;
            }
            assertThat(System.nanoTime())
                    .as(
                            "%s has %d of %d rows after %s: %s",
                            table, rows.size(), count, DEADLINE, byKey.keySet())
                    .isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    private static RowKey key(Record row) {
        String level = String.valueOf(row.getField("level"));
        String entity =
                switch (level) {
                    case "GPU" -> (String) row.getField("gpu_uuid");
                    case "NODE" -> (String) row.getField("node");
                    default -> (String) row.getField("cluster");
                };
        long start = ((OffsetDateTime) row.getField("window_start")).toInstant().toEpochMilli();
        return new RowKey((Integer) row.getField("window_size_s"), level, entity, start);
    }

    private static <V> Map<RowKey, V> newRows(Map<RowKey, V> now, Map<RowKey, ?> before) {
        Map<RowKey, V> added = new TreeMap<>(QuietCloseITCase::compare);
        now.forEach(
                (k, v) -> {
                    if (!before.containsKey(k)) {
                        added.put(k, v);
                    }
                });
        return added;
    }

    private static <V> Map<RowKey, V> keep(Map<RowKey, V> now, Map<RowKey, ?> before) {
        Map<RowKey, V> kept = new TreeMap<>(QuietCloseITCase::compare);
        before.keySet().forEach(k -> kept.put(k, now.get(k)));
        return kept;
    }

    private static int compare(RowKey a, RowKey b) {
        int c = Integer.compare(a.sizeSeconds(), b.sizeSeconds());
        c = c != 0 ? c : a.level().compareTo(b.level());
        c = c != 0 ? c : a.entity().compareTo(b.entity());
        return c != 0 ? c : Long.compare(a.windowStart(), b.windowStart());
    }
}
