package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.jobs.telemetry.TelemetryWindowsStage;
import dev.substrate.operators.telemetry.windows.GpuMetricsConverter;
import dev.substrate.operators.telemetry.windows.GpuWindowAccumulator;
import dev.substrate.operators.telemetry.windows.TelemetryWindowsConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.testkit.SampleData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code substrate local --telemetry file=<the H100 trace>}: the run's collector publishes the real
 * capture to Kafka in place of the synthetic fleet, and the job's 1-minute windows of that GPU hold
 * exactly what a default run's replay of the same trace gives (the replay moves the trace by whole
 * minutes, so the windows hold the same readings, only later), and what one in-order pass over the
 * trace gives, at parallelism 2.
 */
class LocalTelemetryITCase {

    @TempDir Path collected;
    @TempDir Path replayed;

    @Test
    void aRunFedByTheCollectorGivesTheReplaysOneMinuteWindows() throws Exception {
        Path trace = SampleData.h100Trace();
        String collectedOutput =
                run(
                        LocalSettings.builder()
                                .dataDir(collected)
                                .telemetry(LocalTelemetry.parse("file=" + trace))
                                .events(200L));
        assertThat(collectedOutput)
                .contains("GPU telemetry:    file=")
                .contains("Collector stopped: 709 readings read, 709 published, 0 dropped");
        // The default run replays the 709 readings first, then the synthetic mix.
        run(LocalSettings.builder().dataDir(replayed).events(1_000L));

        List<Window> fromCollector = traceWindows(collected);
        List<Window> fromReplay = traceWindows(replayed);
        assertThat(fromCollector).hasSizeGreaterThan(3);
        // The same readings, summed in a different order (other partials): equal to 1e-9. Both
        // runs at parallelism 2 give what one pass over the trace in time order gives, energy
        // and throttle shares included.
        List<Window> exact = exactTraceWindows();
        assertThat(fromCollector)
                .usingRecursiveComparison()
                .withComparatorForType(LocalTelemetryITCase::sameToNineDigits, Double.class)
                .isEqualTo(exact);
        assertThat(fromReplay)
                .usingRecursiveComparison()
                .withComparatorForType(LocalTelemetryITCase::sameToNineDigits, Double.class)
                .isEqualTo(exact);
    }

    private static int sameToNineDigits(Double a, Double b) {
        double scale = Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
        return Math.abs(a - b) <= 1e-9 * scale ? 0 : Double.compare(a, b);
    }

    /** One GPU row of gpu_metrics_1m, without its place in time (the replay runs later). */
    record Window(
            int index,
            long samples,
            double utilizationMean,
            double utilizationMax,
            double powerMean,
            double temperatureMax,
            double energyJoules,
            double swPowerCap) {}

    private static List<Window> traceWindows(Path dataDir) {
        Catalog lake = LocalLake.catalog(dataDir).loadCatalog();
        List<Record> rows = new ArrayList<>();
        for (Record row : LakeReader.readAll(lake, TelemetryWindowsStage.METRICS_1M_TABLE)) {
            if (LocalTelemetry.CLUSTER.equals(row.getField("cluster"))
                    && "GPU".equals(String.valueOf(row.getField("level")))) {
                rows.add(row);
            }
        }
        rows.sort(Comparator.comparing(r -> (OffsetDateTime) r.getField("window_start")));
        List<Window> windows = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            windows.add(window(i, rows.get(i)::getField));
        }
        return windows;
    }

    /**
     * The trace's 1-minute windows computed directly: each minute's readings added in time order to
     * one accumulator, as a single subtask reading the file in order would.
     */
    private static List<Window> exactTraceWindows() throws Exception {
        List<GpuSample> readings =
                new NvidiaSmiCsvParser(
                                LocalTelemetry.REGION, LocalTelemetry.CLUSTER, LocalTelemetry.NODE)
                        .parse(SampleData.h100Trace());
        readings.sort(Comparator.comparing(GpuSample::getTimestamp));
        long maxGap = TelemetryWindowsConfig.defaults().maxGap().toMillis();
        TreeMap<Long, GpuWindowAccumulator> minutes = new TreeMap<>();
        for (GpuSample reading : readings) {
            long ts = reading.getTimestamp().toEpochMilli();
            minutes.computeIfAbsent(
                            ts - Math.floorMod(ts, 60_000L),
                            start -> GpuWindowAccumulator.create(true))
                    .add(reading, maxGap);
        }
        List<Window> windows = new ArrayList<>();
        for (GpuWindowAccumulator acc : minutes.values()) {
            windows.add(window(windows.size(), GpuMetricsConverter.fromGpu(acc)::get));
        }
        return windows;
    }

    private static Window window(int index, Function<String, Object> column) {
        return new Window(
                index,
                (Long) column.apply("sample_count"),
                (Double) column.apply("utilization_pct_mean"),
                (Double) column.apply("utilization_pct_max"),
                (Double) column.apply("power_draw_w_mean"),
                (Double) column.apply("temperature_c_max"),
                (Double) column.apply("energy_joules"),
                (Double) column.apply("sw_power_cap_fraction"));
    }

    private static String run(LocalSettings.Builder settings) throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        RunSummary summary =
                new LocalRunner(
                                // Parallelism 2: the ingest's shuffle by event id spreads the
                                // GPU's readings over both subtasks; the windows sort them per GPU
                                // again, so the time-weighted integrals (energy, throttle shares)
                                // are the same as the replay's.
                                settings.ports(0, 0, 0)
                                        .parallelism(2)
                                        .searchPort(0)
                                        .dashboardPort(0)
                                        .checkpointInterval(Duration.ofMillis(500))
                                        .build(),
                                out)
                        .run();
        summary.print(out);
        String printed = output.toString(StandardCharsets.UTF_8);
        assertThat(summary.accountedFor()).as(printed).isTrue();
        return printed;
    }
}
