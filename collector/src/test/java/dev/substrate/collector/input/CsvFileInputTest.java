package dev.substrate.collector.input;

import static dev.substrate.collector.input.NvidiaSmiProcessInputTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.collector.CollectorStartException;
import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.testkit.SampleData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nvidia-smi CSV files read once, and followed as tail -F does. */
class CsvFileInputTest {

    private static final String HEADER =
            "timestamp, uuid, index, utilization.gpu, memory.used, memory.total,"
                    + " temperature.gpu, power.draw, clocks_event_reasons.active\n";

    @TempDir Path dir;

    private final ConcurrentLinkedQueue<GpuSample> readings = new ConcurrentLinkedQueue<>();

    private static InputSettings settings() {
        return InputSettings.builder()
                .labels("us-east-1", "c1", "n1")
                .zone(ZoneOffset.UTC)
                .pollInterval(Duration.ofMillis(20))
                .build();
    }

    @Test
    void readsTheH100TraceOnceExactlyAsTheParserDoes() throws Exception {
        Path trace = SampleData.h100Trace();
        List<GpuSample> expected = new NvidiaSmiCsvParser("us-east-1", "c1", "n1").parse(trace);

        try (CsvFileInput input = new CsvFileInput(trace, false, settings())) {
            input.start(readings::add);
            await(() -> input.status().finished());
            assertThat(readings).hasSize(709).containsExactlyElementsOf(expected);
            assertThat(input.status().read()).isEqualTo(709);
            assertThat(input.status().errors()).isZero();
        }
    }

    @Test
    void followsAFileAsItGrowsReadingOnlyCompleteLinesAndSkippingBadOnes() throws Exception {
        Path file = dir.resolve("gpu.csv");
        append(file, HEADER + line(0, 10) + line(1, 11));
        try (CsvFileInput input = new CsvFileInput(file, true, settings())) {
            input.start(readings::add);
            await(() -> readings.size() == 2);

            // A line being written (no newline yet) is not read half.
            append(
                    file,
                    "garbage, not, a, reading\n" + line(2, 12) + "2026/11/26 21:30:03.000, GPU-t");
            await(() -> readings.size() == 3);
            Thread.sleep(100);
            assertThat(readings).hasSize(3);
            append(file, "ail, 0, 13, 1000, 81559, 55, 300.5, 0x4\n" + line(4, 14));
            await(() -> readings.size() == 5);

            assertThat(readings)
                    .extracting(GpuSample::getUtilizationPct)
                    .containsExactly(10.0, 11.0, 12.0, 13.0, 14.0);
            assertThat(readings).allSatisfy(r -> assertThat(r.getGpuUuid()).isEqualTo("GPU-tail"));
            assertThat(input.status().errors()).isEqualTo(1);
            assertThat(input.status().lastError()).contains("line 4");
            assertThat(input.status().finished()).isFalse();
        }
    }

    @Test
    void followsAcrossTruncationAndRotationAndWaitsForAFileToAppear() throws Exception {
        Path file = dir.resolve("later.csv");
        try (CsvFileInput input = new CsvFileInput(file, true, settings())) {
            input.start(readings::add); // the file does not exist yet
            append(file, HEADER + line(0, 10));
            await(() -> readings.size() == 1);

            // Truncated in place (logrotate copytruncate); nvidia-smi goes on appending readings.
            Files.writeString(file, line(1, 11));
            await(() -> readings.size() == 2);

            // Rotated (renamed away, a new file created): the old file's last lines, then the new.
            append(file, line(2, 12) + line(3, 13));
            Files.move(file, dir.resolve("later.csv.1"));
            append(file, HEADER + line(4, 14));
            await(() -> readings.size() == 5);

            assertThat(readings)
                    .extracting(GpuSample::getUtilizationPct)
                    .containsExactlyInAnyOrder(10.0, 11.0, 12.0, 13.0, 14.0);
            assertThat(input.status().errors()).isZero();
        }
    }

    @Test
    void aMissingFileOrOneThatIsNotNvidiaSmiCsvStopsTheStart() throws Exception {
        assertThatThrownBy(
                        () ->
                                new CsvFileInput(dir.resolve("nope.csv"), false, settings())
                                        .start(readings::add))
                .isInstanceOf(CollectorStartException.class)
                .hasMessageContaining("nope.csv does not exist")
                .hasMessageContaining("--follow");

        Path notCsv = Files.writeString(dir.resolve("notes.txt"), "hello, world\n1, 2\n");
        assertThatThrownBy(() -> new CsvFileInput(notCsv, false, settings()).start(readings::add))
                .isInstanceOf(CollectorStartException.class)
                .hasMessageContaining("does not start with an nvidia-smi CSV header")
                .hasMessageContaining("uuid")
                .hasMessageContaining("--query-gpu=timestamp,name,uuid");
    }

    private static String line(int second, int util) {
        return String.format(
                "2026/11/26 21:30:%02d.000, GPU-tail, 0, %d, 1000, 81559, 55, 300.5, 0x4%n",
                second, util);
    }

    private static void append(Path file, String text) throws Exception {
        Files.writeString(
                file,
                text,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
