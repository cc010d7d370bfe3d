package dev.substrate.sources.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.GpuSample;
import dev.substrate.testkit.SampleData;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class NvidiaSmiCsvParserTest {

    private final NvidiaSmiCsvParser parser =
            new NvidiaSmiCsvParser("us-east-1", "use1-h100-a", "use1-h100-a-n001");

    @Test
    void aCaptureOfExactlyTheQueryGpuFieldsReadsAsTheFullRealTraceDoes() throws IOException {
        List<String> lines = Files.readAllLines(SampleData.h100Trace());
        List<String> columns =
                Arrays.stream(lines.get(0).split(","))
                        .map(NvidiaSmiCsvParser::canonicalColumn)
                        .toList();
        assertThat(columns).containsAll(NvidiaSmiCsvParser.QUERY_GPU_FIELDS);
        assertThat(NvidiaSmiCsvParser.queryGpuArgument())
                .startsWith("timestamp,name,uuid,index,")
                .doesNotContain(" ");

        // The trace's lines cut down to the query's fields, in the query's order.
        StringBuilder capture =
                new StringBuilder(String.join(", ", NvidiaSmiCsvParser.QUERY_GPU_FIELDS));
        for (String line : lines.subList(1, lines.size())) {
            String[] values = line.split(",");
            capture.append('\n')
                    .append(
                            NvidiaSmiCsvParser.QUERY_GPU_FIELDS.stream()
                                    .map(field -> values[columns.indexOf(field)].trim())
                                    .collect(Collectors.joining(", ")));
        }
        assertThat(parser.parse(new StringReader(capture.toString())))
                .containsExactlyElementsOf(parser.parse(SampleData.h100Trace()));
    }

    @Test
    void parsesTheWholeRealH100Trace() throws IOException {
        List<GpuSample> samples = parser.parse(SampleData.h100Trace());

        assertThat(samples).hasSize(709);
        GpuSample first = samples.get(0);
        assertThat(first.getTimestamp()).isEqualTo(Instant.parse("2026-11-26T21:28:39.826Z"));
        assertThat(first.getModel()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(first.getGpuUuid()).isEqualTo("GPU-bdf0c82b-71b1-6951-de56-987b1c98685f");
        assertThat(first.getGpuIndex()).isZero();
        assertThat(first.getPstate()).isEqualTo("P0");
        assertThat(first.getUtilizationPct()).isZero();
        assertThat(first.getMemoryUsedMib()).isZero();
        assertThat(first.getMemoryTotalMib()).isEqualTo(81559);
        assertThat(first.getTemperatureC()).isEqualTo(42.0);
        assertThat(first.getMemoryTemperatureC()).isEqualTo(44.0);
        assertThat(first.getPowerDrawW()).isEqualTo(130.30);
        assertThat(first.getPowerLimitW()).isEqualTo(700.0);
        assertThat(first.getSmClockMhz()).isEqualTo(1980);
        assertThat(first.getMemoryClockMhz()).isEqualTo(2619);
        assertThat(first.getClockEventReasons()).isEqualTo(0x1L);
        assertThat(first.getEccCorrected()).isZero();
        assertThat(first.getEccUncorrected()).isZero();
        assertThat(first.getXid()).isZero();
        assertThat(first.getMigProfile()).isNull();
        assertThat(first.getRegion()).isEqualTo("us-east-1");
        assertThat(first.getCluster()).isEqualTo("use1-h100-a");
        assertThat(first.getNode()).isEqualTo("use1-h100-a-n001");
        assertThat(first.getEventId())
                .isEqualTo(GpuSampleIds.eventId(first.getGpuUuid(), first.getTimestamp()));

        assertThat(samples)
                .extracting(GpuSample::getTimestamp)
                .isSortedAccordingTo(Comparator.naturalOrder());
        assertThat(samples.get(samples.size() - 1).getTimestamp())
                .isEqualTo(Instant.parse("2026-11-26T21:31:37.610Z"));
        assertThat(samples.stream().map(GpuSample::getEventId).distinct()).hasSize(709);

        double maxTemperature =
                samples.stream().mapToDouble(GpuSample::getTemperatureC).max().orElseThrow();
        assertThat(maxTemperature).isBetween(70.0, 75.0);
        assertThat(samples)
                .allSatisfy(s -> assertThat(s.getUtilizationPct()).isBetween(0.0, 100.0));
        assertThat(samples)
                .allSatisfy(
                        s -> assertThat(s.getMemoryUsedMib()).isBetween(0L, s.getMemoryTotalMib()));
        assertThat(samples.stream().mapToLong(GpuSample::getMemoryUsedMib).max().orElseThrow())
                .isEqualTo(78835);
    }

    @Test
    void powerCappedRowsCarryTheSwPowerCapBitAndLowerClocks() throws IOException {
        List<GpuSample> samples = parser.parse(SampleData.h100Trace());

        List<GpuSample> capped =
                samples.stream().filter(s -> (s.getClockEventReasons() & 0x4L) != 0).toList();
        assertThat(capped).hasSize(371);
        // At the 700 W limit the driver pulls SM clocks down from 1980 MHz to about 1100-1300.
        List<GpuSample> atLimit = capped.stream().filter(s -> s.getPowerDrawW() > 600).toList();
        assertThat(atLimit).hasSize(306);
        assertThat(atLimit).allSatisfy(s -> assertThat(s.getSmClockMhz()).isLessThan(1980));
        assertThat(atLimit.stream().mapToInt(GpuSample::getSmClockMhz).min().orElseThrow())
                .isBetween(1000, 1400);
        assertThat(samples.stream().filter(s -> s.getClockEventReasons() == 0)).hasSize(312);
    }

    @Test
    void readsValuesWithUnitsAndNotAvailableMarkers() throws IOException {
        String csv =
                """
                timestamp, name, pci.bus_id, uuid, index, utilization.gpu [%], utilization.memory [%], memory.used [MiB], memory.total [MiB], temperature.gpu, temperature.memory, power.draw [W], power.limit [W], clocks.current.sm [MHz], clocks_event_reasons.active, ecc.errors.corrected.volatile.total
                2026/11/26 21:28:39.826, NVIDIA A100-SXM4-40GB, 00000000:07:00.0, GPU-aaaa, 3, 87 %, 41 %, 30012 MiB, 40960 MiB, 61, [N/A], 312.55 W, 400.00 W, 1410 MHz, 0x0000000000000024, [N/A]
                2026/11/26 21:28:40.826, NVIDIA A100-SXM4-40GB, 00000000:07:00.0, GPU-aaaa, 3, [N/A], [N/A], 30012 MiB, 40960 MiB, 62, [N/A], [Not Supported], [N/A], 1395 MHz, 0x0000000000000000, 2
                """;

        List<GpuSample> samples = parser.parse(new StringReader(csv));

        assertThat(samples).hasSize(2);
        GpuSample first = samples.get(0);
        assertThat(first.getGpuIndex()).isEqualTo(3);
        assertThat(first.getUtilizationPct()).isEqualTo(87.0);
        assertThat(first.getMemoryUtilizationPct()).isEqualTo(41.0);
        assertThat(first.getMemoryUsedMib()).isEqualTo(30012);
        assertThat(first.getPowerDrawW()).isEqualTo(312.55);
        assertThat(first.getPowerLimitW()).isEqualTo(400.0);
        assertThat(first.getSmClockMhz()).isEqualTo(1410);
        assertThat(first.getClockEventReasons()).isEqualTo(0x24L);
        assertThat(first.getMemoryTemperatureC()).isNull();
        assertThat(first.getEccCorrected()).isZero();
        // Columns nvidia-smi was not asked for get their defaults.
        assertThat(first.getPstate()).isNull();
        assertThat(first.getMemoryClockMhz()).isZero();

        GpuSample second = samples.get(1);
        assertThat(second.getUtilizationPct()).isNaN();
        assertThat(second.getPowerDrawW()).isNaN();
        assertThat(second.getPowerLimitW()).isNull();
        assertThat(second.getEccCorrected()).isEqualTo(2);
    }

    @Test
    void findsColumnsInAnyOrderWithoutUnitsAndUnderOlderNames() throws IOException {
        String csv =
                "power.draw,uuid,clocks_throttle_reasons.active,clocks.sm,clocks.mem,memory.total,timestamp,memory.used,temperature.gpu,utilization.gpu,pstate\n"
                    + "699.10,GPU-bbbb,0x4,1290,2619,81559,2026/11/26"
                    + " 21:30:00.000,70000,66,100,P0\n"
                    + "\n"
                    + "power.draw,uuid,clocks_throttle_reasons.active,clocks.sm,clocks.mem,memory.total,timestamp,memory.used,temperature.gpu,utilization.gpu,pstate\n"
                    + "120.00,GPU-bbbb,0x1,510,2619,81559,2026/11/26 21:30:01,0,45,0,P0\n";

        List<GpuSample> samples = parser.parse(new StringReader(csv));

        assertThat(samples).hasSize(2);
        GpuSample capped = samples.get(0);
        assertThat(capped.getPowerDrawW()).isEqualTo(699.10, within(1e-9));
        assertThat(capped.getClockEventReasons()).isEqualTo(0x4L);
        assertThat(capped.getSmClockMhz()).isEqualTo(1290);
        assertThat(capped.getMemoryClockMhz()).isEqualTo(2619);
        assertThat(capped.getModel()).isEqualTo("unknown");
        assertThat(samples.get(1).getTimestamp()).isEqualTo(Instant.parse("2026-11-26T21:30:01Z"));
    }

    @Test
    void readsTimestampsInTheGivenZone() {
        NvidiaSmiCsvParser berlin =
                new NvidiaSmiCsvParser("eu-central-1", "c", "n", ZoneId.of("Europe/Berlin"));
        GpuSample sample =
                berlin.forHeader(
                                "timestamp, uuid, utilization.gpu [%], memory.used [MiB],"
                                        + " memory.total [MiB], temperature.gpu, power.draw [W]")
                        .parse("2026/11/26 22:00:00.000, GPU-cccc, 5, 1, 2, 30, 60.5");
        assertThat(sample.getTimestamp()).isEqualTo(Instant.parse("2026-11-26T21:00:00Z"));
    }

    @Test
    void rejectsAHeaderWithoutRequiredColumns() {
        assertThatThrownBy(
                        () ->
                                parser.parse(
                                        new StringReader(
                                                "timestamp, uuid, power.draw [W]\n"
                                                        + "2026/11/26 21:28:39.826, GPU-a, 1\n")))
                .isInstanceOf(NvidiaSmiFormatException.class)
                .hasMessageContaining("line 1")
                .hasMessageContaining("utilization.gpu")
                .hasMessageContaining("memory.total")
                .hasMessageContaining("--query-gpu");
    }

    @Test
    void namesTheLineAndColumnOfABadValue() {
        String csv =
                "timestamp, uuid, utilization.gpu [%], memory.used [MiB], memory.total [MiB],"
                        + " temperature.gpu, power.draw [W]\n"
                        + "2026/11/26 21:28:39.826, GPU-a, 5, 1, 2, 30, 60.5\n"
                        + "2026/11/26 21:28:40.826, GPU-a, 5, 1, 2, hot, 60.5\n";
        assertThatThrownBy(() -> parser.parse(new StringReader(csv)))
                .isInstanceOf(NvidiaSmiFormatException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("temperature.gpu")
                .hasMessageContaining("'hot'")
                .satisfies(
                        e -> assertThat(((NvidiaSmiFormatException) e).lineNumber()).isEqualTo(3));
        assertThatThrownBy(
                        () ->
                                parser.parse(
                                        new StringReader(
                                                csv.lines().findFirst().orElseThrow()
                                                        + "\n"
                                                        + "26-11-2026 21:28, GPU-a, 5, 1, 2, 30,"
                                                        + " 60.5\n")))
                .hasMessageContaining("line 2")
                .hasMessageContaining("timestamp");
        assertThatThrownBy(() -> parser.parse(new StringReader("")))
                .isInstanceOf(NvidiaSmiFormatException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void eventIdsAreStablePerGpuAndMillisecond() {
        Instant t = Instant.parse("2026-11-26T21:28:39.826Z");
        Set<String> ids = new HashSet<>();
        ids.add(GpuSampleIds.eventId("GPU-a", t));
        ids.add(GpuSampleIds.eventId("GPU-a", t));
        ids.add(GpuSampleIds.eventId("GPU-b", t));
        ids.add(GpuSampleIds.eventId("GPU-a", t.plusMillis(1)));
        assertThat(ids).hasSize(3);
    }
}
