package dev.substrate.sources.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DcgmMetricsParserTest {

    private static final Instant SCRAPE = Instant.parse("2026-11-26T21:30:00.123Z");

    private static final String GPU0 =
            "gpu=\"0\",UUID=\"GPU-927d7444-b45a-7c49-8402-5e686e46a026\","
                    + "pci_bus_id=\"00000000:00:09.0\",device=\"nvidia0\","
                    + "modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"6d6d7dc3ce21\","
                    + "DCGM_FI_DRIVER_VERSION=\"535.183.01\"";
    private static final String GPU1 =
            "gpu=\"1\",UUID=\"GPU-1b3c5d7e-0000-4a4a-9b9b-123456789abc\","
                    + "pci_bus_id=\"00000000:00:0A.0\",device=\"nvidia1\","
                    + "modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"6d6d7dc3ce21\","
                    + "DCGM_FI_DRIVER_VERSION=\"535.183.01\"";

    /** What dcgm-exporter 3.x/4.x serves: HELP and TYPE per metric, then one series per GPU. */
    static String exporterText(double util0, double power0, int xid1) {
        return metric("DCGM_FI_DEV_SM_CLOCK", "SM clock frequency (in MHz).", "gauge", 1980, 1305)
                + metric(
                        "DCGM_FI_DEV_MEM_CLOCK",
                        "Memory clock frequency (in MHz).",
                        "gauge",
                        2619,
                        2619)
                + metric("DCGM_FI_DEV_MEMORY_TEMP", "Memory temperature (in C).", "gauge", 44, 51)
                + metric("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", "gauge", 42, 66)
                + metric("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", "gauge", power0, 699.123)
                + metric(
                        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
                        "Total energy consumption since boot (in mJ).",
                        "counter",
                        123456789,
                        987654321)
                + metric("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", "gauge", util0, 100)
                + metric("DCGM_FI_DEV_MEM_COPY_UTIL", "Memory utilization (in %).", "gauge", 0, 37)
                + metric(
                        "DCGM_FI_DEV_XID_ERRORS",
                        "Value of the last XID error encountered.",
                        "gauge",
                        0,
                        xid1)
                + metric(
                        "DCGM_FI_DEV_FB_FREE",
                        "Framebuffer memory free (in MiB).",
                        "gauge",
                        81004,
                        2181)
                + metric(
                        "DCGM_FI_DEV_FB_USED",
                        "Framebuffer memory used (in MiB).",
                        "gauge",
                        0,
                        78835)
                + metric(
                        "DCGM_FI_DEV_FB_RESERVED",
                        "Framebuffer memory reserved (in MiB).",
                        "gauge",
                        555,
                        543)
                + metric(
                        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
                        "Current clock throttle reasons.",
                        "gauge",
                        1,
                        4)
                + metric(
                        "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL",
                        "Total number of single-bit volatile ECC errors.",
                        "counter",
                        0,
                        3)
                + metric(
                        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
                        "Total number of double-bit volatile ECC errors.",
                        "counter",
                        0,
                        1)
                + metric(
                        "DCGM_FI_DEV_POWER_MGMT_LIMIT",
                        "Current power limit for the device.",
                        "gauge",
                        700,
                        700);
    }

    private static String metric(String name, String help, String type, double v0, double v1) {
        return "# HELP "
                + name
                + " "
                + help
                + "\n# TYPE "
                + name
                + " "
                + type
                + "\n"
                + name
                + "{"
                + GPU0
                + "} "
                + format(v0)
                + "\n"
                + name
                + "{"
                + GPU1
                + "} "
                + format(v1)
                + "\n";
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15
                ? Long.toString((long) v)
                : Double.toString(v);
    }

    private final DcgmMetricsParser parser =
            new DcgmMetricsParser("us-east-1", "use1-h100-a", "10.0.0.7");

    @Test
    void groupsTheSeriesOfEachGpuIntoOneReading() {
        List<GpuSample> samples = parser.parse(exporterText(0, 130.3, 79), SCRAPE);

        assertThat(samples).hasSize(2);
        GpuSample idle = samples.get(0);
        assertThat(idle.getGpuUuid()).isEqualTo("GPU-927d7444-b45a-7c49-8402-5e686e46a026");
        assertThat(idle.getGpuIndex()).isZero();
        assertThat(idle.getNode()).isEqualTo("6d6d7dc3ce21");
        assertThat(idle.getModel()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(idle.getRegion()).isEqualTo("us-east-1");
        assertThat(idle.getCluster()).isEqualTo("use1-h100-a");
        assertThat(idle.getTimestamp()).isEqualTo(SCRAPE);
        assertThat(idle.getEventId())
                .isEqualTo(GpuSampleIds.eventId(idle.getGpuUuid(), idle.getTimestamp()));
        assertThat(idle.getUtilizationPct()).isZero();
        assertThat(idle.getPowerDrawW()).isEqualTo(130.3);
        assertThat(idle.getClockEventReasons()).isEqualTo(0x1);
        assertThat(idle.getMemoryTotalMib()).isEqualTo(0 + 81004 + 555);
        assertThat(idle.getXid()).isZero();

        GpuSample busy = samples.get(1);
        assertThat(busy.getGpuIndex()).isEqualTo(1);
        assertThat(busy.getUtilizationPct()).isEqualTo(100.0);
        assertThat(busy.getMemoryUtilizationPct()).isEqualTo(37.0);
        assertThat(busy.getMemoryUsedMib()).isEqualTo(78835);
        assertThat(busy.getMemoryTotalMib()).isEqualTo(78835 + 2181 + 543);
        assertThat(busy.getTemperatureC()).isEqualTo(66.0);
        assertThat(busy.getMemoryTemperatureC()).isEqualTo(51.0);
        assertThat(busy.getPowerDrawW()).isEqualTo(699.123);
        assertThat(busy.getPowerLimitW()).isEqualTo(700.0);
        assertThat(busy.getSmClockMhz()).isEqualTo(1305);
        assertThat(busy.getMemoryClockMhz()).isEqualTo(2619);
        assertThat(busy.getClockEventReasons()).isEqualTo(0x4);
        assertThat(busy.getEccCorrected()).isEqualTo(3);
        assertThat(busy.getEccUncorrected()).isEqualTo(1);
        assertThat(busy.getXid()).isEqualTo(79);
        assertThat(busy.getMigProfile()).isNull();
    }

    @Test
    void readsTheOlderLabelFormatBlanksAndExplicitTimestamps() {
        // dcgm-exporter 2.x: a space after the comma, no Hostname; an unsupported field is blank.
        String text =
                "# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz).\n"
                    + "# TYPE DCGM_FI_DEV_SM_CLOCK gauge\n"
                    + "# HELP DCGM_FI_DEV_MEMORY_TEMP Memory temperature (in C).\n"
                    + "# TYPE DCGM_FI_DEV_MEMORY_TEMP gauge\n"
                    + "DCGM_FI_DEV_SM_CLOCK{gpu=\"0\","
                    + " UUID=\"GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52\"} 139 1795728600000\n"
                    + "DCGM_FI_DEV_MEMORY_TEMP{gpu=\"0\","
                    + " UUID=\"GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52\"} 9223372036854775794\n"
                    + "DCGM_FI_DEV_GPU_TEMP{gpu=\"0\","
                    + " UUID=\"GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52\"} 2147483632\n"
                    + "# HELP promhttp_metric_handler_requests_total Total scrapes.\n"
                    + "promhttp_metric_handler_requests_total{code=\"200\"} 7\n"
                    + "this line is not prometheus text\n";

        List<GpuSample> samples = parser.parse(text, SCRAPE);

        assertThat(samples).hasSize(1);
        GpuSample s = samples.get(0);
        assertThat(s.getSmClockMhz()).isEqualTo(139);
        assertThat(s.getMemoryTemperatureC()).isNull();
        assertThat(s.getTemperatureC()).isNaN();
        assertThat(s.getPowerDrawW()).isNaN();
        assertThat(s.getNode()).isEqualTo("10.0.0.7");
        assertThat(s.getModel()).isEqualTo("unknown");
        assertThat(s.getTimestamp()).isEqualTo(Instant.ofEpochMilli(1795728600000L));
    }

    @Test
    void migInstancesAreSeparateReadingsWithTheirProfile() {
        String labels =
                "gpu=\"0\",UUID=\"GPU-aaaa\",device=\"nvidia0\",modelName=\"NVIDIA"
                        + " A100-SXM4-40GB\",GPU_I_PROFILE=\"%s\",GPU_I_ID=\"%s\",Hostname=\"n1\"";
        String text =
                "DCGM_FI_DEV_FB_USED{"
                        + String.format(labels, "1g.5gb", "7")
                        + "} 1024\n"
                        + "DCGM_FI_DEV_FB_USED{"
                        + String.format(labels, "3g.20gb", "1")
                        + "} 9000\n"
                        + "DCGM_FI_CLOCKS_DUMMY{"
                        + String.format(labels, "3g.20gb", "1")
                        + "} 1\n";
        List<GpuSample> samples = parser.parse(text, SCRAPE);
        assertThat(samples)
                .extracting(
                        GpuSample::getGpuUuid,
                        GpuSample::getMigProfile,
                        GpuSample::getMemoryUsedMib)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("GPU-aaaa/7", "1g.5gb", 1024L),
                        org.assertj.core.groups.Tuple.tuple("GPU-aaaa/1", "3g.20gb", 9000L));
    }

    @Test
    void newerClocksEventReasonsMetricAndEscapedLabels() {
        String text =
                "DCGM_FI_DEV_CLOCKS_EVENT_REASONS{gpu=\"2\",UUID=\"GPU-b\","
                        + "modelName=\"NVIDIA \\\"H200\\\"\",Hostname=\"n2\"} 36\n";
        GpuSample s = parser.parse(text, SCRAPE).get(0);
        assertThat(s.getClockEventReasons()).isEqualTo(0x24);
        assertThat(s.getModel()).isEqualTo("NVIDIA \"H200\"");
        assertThat(s.getGpuIndex()).isEqualTo(2);
    }
}
