package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.jobs.telemetry.TelemetryWindowsStage;
import dev.substrate.sinks.lake.LakeReader;
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
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code substrate local --telemetry file=<the H100 trace>}: the run's collector publishes the real
 * capture to Kafka in place of the synthetic fleet, and the job's 1-minute windows of that GPU hold
 * exactly what a default run's replay of the same trace gives (the replay moves the trace by whole
 * minutes, so the windows hold the same readings, only later).
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
        // The same readings, summed in a different order (other partials): equal to 1e-9.
        assertThat(fromCollector)
                .usingRecursiveComparison()
                .withComparatorForType(LocalTelemetryITCase::sameToNineDigits, Double.class)
                .isEqualTo(fromReplay);
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
            Record r = rows.get(i);
            windows.add(
                    new Window(
                            i,
                            (Long) r.getField("sample_count"),
                            (Double) r.getField("utilization_pct_mean"),
                            (Double) r.getField("utilization_pct_max"),
                            (Double) r.getField("power_draw_w_mean"),
                            (Double) r.getField("temperature_c_max"),
                            (Double) r.getField("energy_joules"),
                            (Double) r.getField("sw_power_cap_fraction")));
        }
        return windows;
    }

    private static String run(LocalSettings.Builder settings) throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        RunSummary summary =
                new LocalRunner(
                                // Parallelism 1: one GPU's readings reach the windows in order
                                // only then. At 2 the ingest's shuffle by event id interleaves
                                // them, and the time-weighted integrals (energy, throttle shares)
                                // differ by 1-3% from run to run: a known defect, see README.
                                settings.ports(0, 0, 0)
                                        .parallelism(1)
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
