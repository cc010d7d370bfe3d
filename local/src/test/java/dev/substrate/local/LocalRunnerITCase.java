package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.SchedulingAction;
import dev.substrate.jobs.ingest.RuleQualityStep;
import dev.substrate.local.cli.SubstrateCli;
import dev.substrate.sinks.lake.LakeReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The local run as a user runs it ({@code substrate local --events N}), twice on one data
 * directory: each run accounts for exactly what it produced, and the second resumes from the first
 * run's savepoint instead of reading its records again.
 */
class LocalRunnerITCase {

    @TempDir Path dataDir;

    @Test
    void boundedRunsAccountForEveryRecordAndResumeFromTheLastSavepoint() throws Exception {
        ByteArrayOutputStream firstOutput = new ByteArrayOutputStream();
        RunSummary first = run(3_000, firstOutput);

        assertThat(first.accountedFor()).as(firstOutput.toString(StandardCharsets.UTF_8)).isTrue();
        assertThat(first.produced().good()).isEqualTo(3_000);
        assertThat(first.rowsAdded()).isEqualTo(3_000 + first.produced().bad());
        assertThat(first.goodRowsAdded())
                .as("most sample events pass every rule")
                .isGreaterThan(2_900);
        assertThat(first.deadLettersAdded())
                .isGreaterThanOrEqualTo(first.produced().bad())
                .isPositive();
        assertThat(first.deadLettersPerReason())
                .containsKeys(
                        DeadLetterReason.NOT_WIRE_FORMAT.name(),
                        DeadLetterReason.UNKNOWN_SCHEMA_ID.name(),
                        DeadLetterReason.AVRO_DECODE_FAILED.name(),
                        DeadLetterReason.SCHEMA_RESOLUTION_FAILED.name());
        String printed = firstOutput.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("Flink web UI:     http://127.0.0.1:");
        assertThat(printed).contains("Dashboard:        http://127.0.0.1:");
        assertQualityAddsUp(first);
        assertThat(printed)
                .contains("Quality rules this run (quality_report, every window closed")
                .contains("substrate.gpu-samples: ");
        assertThat(new LocalSnapshots(dataDir).latestSavepoint()).isNotNull();
        assertThat(printed).contains("Audit: every record in the input topics");
        assertThat(printed).contains("Search API:       http://127.0.0.1:");
        assertSearchable();
        // The scheduler decided the sample requests: the summary's decisions section says so.
        assertThat(first.decisions().total()).isPositive();
        assertThat(first.decisions().perAction().get(SchedulingAction.ASSIGN)).isPositive();
        assertThat(printed).contains("Scheduling decisions (scheduling_decisions, all runs):");

        ByteArrayOutputStream secondOutput = new ByteArrayOutputStream();
        RunSummary second = run(1_000, secondOutput);

        String secondPrinted = secondOutput.toString(StandardCharsets.UTF_8);
        assertThat(secondPrinted)
                .contains("Resuming from the newest snapshot, the savepoint savepoints/")
                .contains("Sample time:      continues after the last run's");
        assertThat(second.accountedFor()).as(secondPrinted).isTrue();
        assertThat(second.rowsAdded()).isEqualTo(1_000 + second.produced().bad());
        long total = second.rowsPerTable().values().stream().mapToLong(Long::longValue).sum();
        assertThat(total)
                .as("nothing read twice across runs")
                .isEqualTo(4_000 + first.produced().bad() + second.produced().bad());
        assertQualityAddsUp(second);
        // The first run was drained, so all its windows fired; the second run's events start
        // after them, so no window of the report fired twice.
        List<String> firings = new ArrayList<>();
        Catalog catalog = lake();
        for (Record row : LakeReader.readAll(catalog, RuleQualityStep.QUALITY_REPORT.name())) {
            firings.add(
                    row.getField("window_start")
                            + " "
                            + row.getField("source")
                            + " "
                            + row.getField("rule")
                            + " "
                            + row.getField("revision"));
        }
        assertThat(firings).isNotEmpty().doesNotHaveDuplicates();
    }

    /**
     * The report of this run counts every record that reached the rules exactly once: those that
     * landed in an event table plus those a rule sent to dead letters.
     */
    private static void assertQualityAddsUp(RunSummary summary) {
        long refusedByRules = summary.deadLettersAdded() - summary.produced().bad();
        long evaluated =
                summary.evaluatedPerSource().values().stream().mapToLong(Long::longValue).sum();
        assertThat(summary.qualityComplete()).isTrue();
        assertThat(evaluated).isEqualTo(summary.goodRowsAdded() + refusedByRules);
        assertThat(summary.qualityPerRule())
                .allSatisfy(
                        q ->
                                assertThat(q.evaluated())
                                        .isEqualTo(summary.evaluatedPerSource().get(q.source())));
    }

    /**
     * {@code substrate search} over the run's data directory finds what the vector stage indexed,
     * complete up to the end of the drained run's input.
     */
    private void assertSearchable() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                new CommandLine(new SubstrateCli())
                        .setOut(new PrintWriter(out, true))
                        .setErr(new PrintWriter(err, true))
                        .execute(
                                "search",
                                "gpu node down",
                                "--mode",
                                "bm25",
                                "--k",
                                "3",
                                "--data-dir",
                                dataDir.toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString())
                .contains("3 of ")
                .contains("complete up to the end of its input")
                .contains("lineage: ");
    }

    private Catalog lake() {
        return LocalLake.catalog(dataDir).loadCatalog();
    }

    private RunSummary run(long events, ByteArrayOutputStream output) throws Exception {
        LocalSettings settings =
                LocalSettings.builder()
                        .dataDir(dataDir)
                        .ports(0, 0, 0)
                        .searchPort(0)
                        .dashboardPort(0)
                        .checkpointInterval(Duration.ofMillis(500))
                        .events(events)
                        .badFraction(0.02)
                        .seed(11L)
                        .build();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        RunSummary summary = new LocalRunner(settings, out).run();
        summary.print(out);
        return summary;
    }
}
