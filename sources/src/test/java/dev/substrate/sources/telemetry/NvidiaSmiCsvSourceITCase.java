package dev.substrate.sources.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.testkit.MiniClusters;
import dev.substrate.testkit.SampleData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Replays and tails nvidia-smi CSV files through the FLIP-27 source on a MiniCluster. */
class NvidiaSmiCsvSourceITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static StreamExecutionEnvironment env() {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        return env;
    }

    private static CloseableIterator<GpuSample> run(NvidiaSmiCsvSource source) throws Exception {
        return env().fromSource(
                        source,
                        WatermarkStrategy.noWatermarks(),
                        "nvidia-smi",
                        new AvroTypeInfo<>(GpuSample.class))
                .executeAndCollect();
    }

    @Test
    void replaysTheRealH100TraceAsTheParserReadsIt() throws Exception {
        Path trace = SampleData.h100Trace();
        NvidiaSmiCsvParser parser = new NvidiaSmiCsvParser("us-east-1", "c1", "n001");
        List<GpuSample> expected = parser.parse(trace);

        List<GpuSample> replayed = new ArrayList<>();
        try (var it =
                run(NvidiaSmiCsvSource.builder().file(trace, "us-east-1", "c1", "n001").build())) {
            it.forEachRemaining(replayed::add);
        }

        assertThat(replayed).hasSize(709).containsExactlyElementsOf(expected);
    }

    @Test
    void replaysSeveralFilesOfSeveralNodes(@TempDir Path dir) throws Exception {
        Path trace = SampleData.h100Trace();
        List<String> lines = Files.readAllLines(trace);
        Path n1 = Files.write(dir.resolve("n1.csv"), lines.subList(0, 101)); // header + 100
        Path n2 = Files.write(dir.resolve("n2.csv"), lines.subList(0, 51)); // header + 50
        Path n3 = Files.write(dir.resolve("n3.csv"), lines.subList(0, 11));

        List<GpuSample> replayed = new ArrayList<>();
        try (var it =
                run(
                        NvidiaSmiCsvSource.builder()
                                .file(n1, "r", "c", "n1")
                                .file(n2, "r", "c", "n2")
                                .file(n3, "r", "c", "n3")
                                .build())) {
            it.forEachRemaining(replayed::add);
        }
        assertThat(replayed.stream().filter(s -> s.getNode().equals("n1"))).hasSize(100);
        assertThat(replayed.stream().filter(s -> s.getNode().equals("n2"))).hasSize(50);
        assertThat(replayed.stream().filter(s -> s.getNode().equals("n3"))).hasSize(10);
    }

    @Test
    void tailsAFileAsNvidiaSmiAppendsToIt(@TempDir Path dir) throws Exception {
        // --format=csv,nounits: no units in the header; a bad line in between is skipped.
        Path file = dir.resolve("gpu.csv");
        String header =
                "timestamp, uuid, index, utilization.gpu, memory.used, memory.total,"
                        + " temperature.gpu, power.draw, clocks_event_reasons.active\n";
        append(file, header + line(0, 10) + line(1, 11));

        NvidiaSmiCsvSource source =
                NvidiaSmiCsvSource.builder()
                        .file(file, "us-east-1", "c1", "n1")
                        .tail(Duration.ofMillis(50))
                        .build();
        try (CloseableIterator<GpuSample> it = run(source)) {
            List<GpuSample> got = take(it, 2);
            assertThat(got).extracting(GpuSample::getUtilizationPct).containsExactly(10.0, 11.0);

            // A line being written (no newline yet) must not be read half.
            append(
                    file,
                    "garbage, not, a, reading\n" + line(2, 12) + "2026/11/26 21:30:03.000, GPU-t");
            assertThat(take(it, 1).get(0).getUtilizationPct()).isEqualTo(12.0);
            append(file, "ail, 0, 13, 1000, 81559, 55, 300.5, 0x4\n" + line(4, 14));
            List<GpuSample> rest = take(it, 2);
            assertThat(rest).extracting(GpuSample::getUtilizationPct).containsExactly(13.0, 14.0);
            assertThat(rest.get(0).getGpuUuid()).isEqualTo("GPU-tail");
            assertThat(rest.get(0).getPowerDrawW()).isEqualTo(300.5);
            assertThat(rest.get(0).getClockEventReasons()).isEqualTo(0x4);
        }
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

    private static List<GpuSample> take(CloseableIterator<GpuSample> it, int n) {
        List<GpuSample> out = new ArrayList<>();
        while (out.size() < n && it.hasNext()) {
            out.add(it.next());
        }
        out.sort(Comparator.comparing(GpuSample::getTimestamp));
        return out;
    }
}
