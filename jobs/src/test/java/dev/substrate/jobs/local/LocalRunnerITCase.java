package dev.substrate.jobs.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DeadLetterReason;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        assertThat(LastSavepoint.read(dataDir.toAbsolutePath())).isNotNull();

        ByteArrayOutputStream secondOutput = new ByteArrayOutputStream();
        RunSummary second = run(1_000, secondOutput);

        String secondPrinted = secondOutput.toString(StandardCharsets.UTF_8);
        assertThat(secondPrinted).contains("Resuming from the last run's savepoint");
        assertThat(second.accountedFor()).as(secondPrinted).isTrue();
        assertThat(second.rowsAdded()).isEqualTo(1_000 + second.produced().bad());
        long total = second.rowsPerTable().values().stream().mapToLong(Long::longValue).sum();
        assertThat(total)
                .as("nothing read twice across runs")
                .isEqualTo(4_000 + first.produced().bad() + second.produced().bad());
    }

    private RunSummary run(long events, ByteArrayOutputStream output) throws Exception {
        LocalSettings settings =
                new LocalSettings(
                        dataDir,
                        null,
                        null,
                        0,
                        0,
                        0,
                        2,
                        Duration.ofMillis(500),
                        null,
                        events,
                        500,
                        0.02,
                        11L);
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        RunSummary summary = new LocalRunner(settings, out).run();
        summary.print(out);
        return summary;
    }
}
