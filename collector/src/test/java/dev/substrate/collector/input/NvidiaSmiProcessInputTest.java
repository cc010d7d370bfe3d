package dev.substrate.collector.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.collector.CollectorStartException;
import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.testkit.SampleData;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nvidia-smi spawned by the collector: a fake nvidia-smi script stands in for the hardware. */
class NvidiaSmiProcessInputTest {

    @TempDir Path dir;

    private final List<String> notices = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<GpuSample> readings = new ConcurrentLinkedQueue<>();

    private InputSettings settings() {
        return InputSettings.builder()
                .labels("us-east-1", "use1-h100-a", "n001")
                .zone(ZoneOffset.UTC)
                .interval(Duration.ofMillis(5))
                .restartBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .notices(notices::add)
                .build();
    }

    /** The header and the first {@code readings} lines of the real H100 trace. */
    private static List<String> trace(int readings) throws Exception {
        return Files.readAllLines(SampleData.h100Trace()).subList(0, readings + 1);
    }

    private static List<GpuSample> parsed(List<String> lines) throws Exception {
        return new NvidiaSmiCsvParser("us-east-1", "use1-h100-a", "n001")
                .parse(new StringReader(String.join("\n", lines)));
    }

    @Test
    void runsNvidiaSmiWithTheParsersFieldsAndReadsEveryReadingAsItIsPrinted() throws Exception {
        List<String> trace = trace(40);
        Path binary = FakeNvidiaSmi.install(dir, trace, 0);

        try (NvidiaSmiProcessInput input =
                new NvidiaSmiProcessInput(
                        binary.toString(), NvidiaSmiCsvParser.queryGpuArgument(), settings())) {
            assertThat(input.command())
                    .containsExactly(
                            binary.toString(),
                            "--query-gpu=" + NvidiaSmiCsvParser.queryGpuArgument(),
                            "--format=csv,nounits",
                            "-lms",
                            "5");
            input.start(readings::add); // the fake refuses any other arguments
            await(() -> readings.size() == 40);
            assertThat(readings).containsExactlyElementsOf(parsed(trace));
            assertThat(input.status().errors()).isZero();
        }
    }

    @Test
    void startsNvidiaSmiAgainWhenItDiesAndLosesNoReading() throws Exception {
        List<String> trace = trace(50);
        Path binary = FakeNvidiaSmi.install(dir, trace, 20); // dies after 20, 20, then lives

        try (NvidiaSmiProcessInput input =
                new NvidiaSmiProcessInput(
                        binary.toString(), NvidiaSmiCsvParser.queryGpuArgument(), settings())) {
            input.start(readings::add);
            await(() -> readings.size() == 50);

            assertThat(readings).containsExactlyElementsOf(parsed(trace));
            InputStatus status = input.status();
            assertThat(status.read()).isEqualTo(50);
            assertThat(status.errors()).isEqualTo(2);
            assertThat(status.lastError())
                    .contains("exited with code 1 after 20 readings")
                    .contains("Unable to determine the device handle");
            assertThat(notices)
                    .hasSize(2)
                    .allSatisfy(n -> assertThat(n).contains("starting it again in"));
        }
    }

    @Test
    void aMissingNvidiaSmiStopsTheStartNamingThePathAndTheFix() {
        NvidiaSmiProcessInput input =
                new NvidiaSmiProcessInput(
                        dir.resolve("no-such-nvidia-smi").toString(),
                        NvidiaSmiCsvParser.queryGpuArgument(),
                        settings());
        assertThatThrownBy(() -> input.start(readings::add))
                .isInstanceOf(CollectorStartException.class)
                .hasMessageContaining(
                        "Cannot run nvidia-smi as '" + dir.resolve("no-such-nvidia-smi"))
                .hasMessageContaining("--nvidia-smi");
    }

    @Test
    void nvidiaSmiThatCannotTalkToTheDriverStopsTheStartWithItsOwnMessage() throws Exception {
        Path binary = dir.resolve("nvidia-smi");
        Files.writeString(
                binary,
                "#!/bin/sh\n"
                        + "echo \"NVIDIA-SMI has failed because it couldn't communicate with the"
                        + " NVIDIA driver.\"\nexit 9\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        NvidiaSmiProcessInput input =
                new NvidiaSmiProcessInput(
                        binary.toString(), NvidiaSmiCsvParser.queryGpuArgument(), settings());

        assertThatThrownBy(() -> input.start(readings::add))
                .isInstanceOf(CollectorStartException.class)
                .hasMessageContaining("exited with code 9")
                .hasMessageContaining("couldn't communicate with the NVIDIA driver")
                .hasMessageContaining("--query-gpu");
        assertThat(readings).isEmpty();
    }

    static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
