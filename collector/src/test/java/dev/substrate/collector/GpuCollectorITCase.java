package dev.substrate.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sources.telemetry.GpuSampleIds;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.SampleData;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link GpuCollector} against the real embedded Kafka broker and schema registry: what lands in
 * the topic, decoded through the registry as the job decodes it, is exactly what the nvidia-smi
 * trace and the DCGM exporter pages said.
 */
class GpuCollectorITCase {

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(List.of(EventType.GPU_SAMPLE.topic()));

    private static GpuCollector.Builder collector(String topic) {
        SERVICES.broker().createTopics(Map.of(topic, 2));
        return GpuCollector.builder()
                .bootstrapServers(SERVICES.broker().bootstrapServers())
                .registry(SchemaRegistryConfig.of(SERVICES.registry().url()))
                .topic(topic);
    }

    private static List<GpuSample> published(String topic, long expected) throws Exception {
        return PublishedSamples.read(
                SERVICES.broker().bootstrapServers(), SERVICES.registry().url(), topic, expected);
    }

    @Test
    void theH100TraceLandsAsOneSamplePerCsvRowExactlyAsTheParserReadsIt() throws Exception {
        Path trace = SampleData.h100Trace();
        List<GpuSample> rows =
                new NvidiaSmiCsvParser("us-east-1", "use1-h100-a", "use1-h100-a-n001").parse(trace);
        assertThat(rows).hasSize(709);

        try (GpuCollector collector =
                collector("collector-it.h100")
                        .labels("us-east-1", "use1-h100-a", "use1-h100-a-n001")
                        .timeZone(ZoneOffset.UTC)
                        .csvFile(trace, false)
                        .build()) {
            collector.start();
            assertThat(collector.awaitDelivered(Duration.ofSeconds(60))).isTrue();
            CollectorStatus status = collector.status();
            assertThat(status.read()).isEqualTo(709);
            assertThat(status.sent()).isEqualTo(709);
            assertThat(status.dropped()).isZero();
        }

        // One GPU: one key, one partition, in the order nvidia-smi wrote the rows.
        assertThat(published("collector-it.h100", 709)).containsExactlyElementsOf(rows);
    }

    @Test
    void dcgmExporterPagesLandAsTheySaidEveryValueAndLabel() throws Exception {
        List<ExporterGpu> dgx =
                List.of(
                        new ExporterGpu(
                                0,
                                "GPU-5e0c8e4f-2b7a-4f2c-9d1e-000000000000",
                                97,
                                41,
                                78835,
                                2181,
                                543,
                                66,
                                51,
                                698.4,
                                1755,
                                2619,
                                0x4,
                                0,
                                0,
                                0),
                        new ExporterGpu(
                                1,
                                "GPU-5e0c8e4f-2b7a-4f2c-9d1e-000000000001",
                                0,
                                0,
                                0,
                                81004,
                                555,
                                34,
                                36,
                                71.2,
                                345,
                                2619,
                                0x1,
                                0,
                                0,
                                0),
                        new ExporterGpu(
                                2,
                                "GPU-5e0c8e4f-2b7a-4f2c-9d1e-000000000002",
                                100,
                                93,
                                80101,
                                901,
                                557,
                                83,
                                88,
                                701.0,
                                1410,
                                2619,
                                0x28,
                                3,
                                0,
                                0),
                        new ExporterGpu(
                                3,
                                "GPU-5e0c8e4f-2b7a-4f2c-9d1e-000000000003",
                                12,
                                2,
                                40120,
                                40882,
                                557,
                                45,
                                47,
                                160.9,
                                1980,
                                2619,
                                0x0,
                                0,
                                1,
                                79));
        List<ExporterGpu> older =
                List.of(
                        new ExporterGpu(
                                0,
                                "GPU-a100-0000",
                                55,
                                20,
                                30000,
                                10000,
                                425,
                                58,
                                60,
                                310.5,
                                1410,
                                1593,
                                0x4,
                                0,
                                0,
                                48),
                        new ExporterGpu(
                                1,
                                "GPU-a100-0001",
                                5,
                                1,
                                1000,
                                39000,
                                425,
                                39,
                                41,
                                61.0,
                                210,
                                1593,
                                0x1,
                                0,
                                0,
                                0));
        AtomicInteger dgxScrapes = new AtomicInteger();
        AtomicInteger olderScrapes = new AtomicInteger();
        HttpServer exporters =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // dcgm-exporter 3.3+ on a DGX (CLOCKS_EVENT_REASONS), and an older one on an A100 node
        // that still says CLOCK_THROTTLE_REASONS and has no Hostname label.
        exporters.createContext(
                "/dgx/metrics",
                exchange ->
                        serve(
                                exchange,
                                dgxScrapes,
                                page(
                                        dgx,
                                        "NVIDIA H100 80GB HBM3",
                                        "dgx-h100-07",
                                        "DCGM_FI_DEV_CLOCKS_EVENT_REASONS")));
        exporters.createContext(
                "/a100/metrics",
                exchange ->
                        serve(
                                exchange,
                                olderScrapes,
                                page(
                                        older,
                                        "NVIDIA A100-SXM4-40GB",
                                        null,
                                        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS")));
        exporters.start();
        String base = "http://127.0.0.1:" + exporters.getAddress().getPort();
        Instant started = Instant.now().minusMillis(1);
        long read;
        try (GpuCollector collector =
                collector("collector-it.dcgm")
                        .labels("eu-west-1", "euw1-mixed", null)
                        .interval(Duration.ofMillis(200))
                        .dcgm(URI.create(base + "/dgx/metrics"))
                        .dcgm(URI.create(base + "/a100/metrics"))
                        .build()) {
            collector.start();
            awaitUntil(() -> dgxScrapes.get() >= 3 && olderScrapes.get() >= 3);
            awaitUntil(() -> collector.status().read() >= 18);
            collector.close(); // stops scraping, then waits for Kafka to take every reading
            CollectorStatus status = collector.status();
            read = status.read();
            assertThat(status.undelivered()).isZero();
            assertThat(status.sent()).isEqualTo(read);
            assertThat(status.dropped()).isZero();
            assertThat(status.inputs()).allSatisfy(i -> assertThat(i.errors()).isZero());
        } finally {
            exporters.stop(0);
        }
        Instant ended = Instant.now();

        List<GpuSample> landed = published("collector-it.dcgm", read);
        assertThat(landed).hasSize((int) read);
        Map<String, ExporterGpu> byUuid =
                java.util.stream.Stream.concat(dgx.stream(), older.stream())
                        .collect(Collectors.toMap(ExporterGpu::uuid, Function.identity()));
        for (GpuSample sample : landed) {
            ExporterGpu gpu = byUuid.get(sample.getGpuUuid());
            assertThat(gpu).as(sample.getGpuUuid()).isNotNull();
            boolean onDgx = dgx.contains(gpu);
            assertThat(sample.getRegion()).isEqualTo("eu-west-1");
            assertThat(sample.getCluster()).isEqualTo("euw1-mixed");
            assertThat(sample.getNode()).isEqualTo(onDgx ? "dgx-h100-07" : "127.0.0.1");
            assertThat(sample.getModel())
                    .isEqualTo(onDgx ? "NVIDIA H100 80GB HBM3" : "NVIDIA A100-SXM4-40GB");
            assertThat(sample.getGpuIndex()).isEqualTo(gpu.index());
            assertThat(sample.getUtilizationPct()).isEqualTo(gpu.util());
            assertThat(sample.getMemoryUtilizationPct()).isEqualTo(gpu.memCopyUtil());
            assertThat(sample.getMemoryUsedMib()).isEqualTo(gpu.fbUsed());
            assertThat(sample.getMemoryTotalMib())
                    .isEqualTo(gpu.fbUsed() + gpu.fbFree() + gpu.fbReserved());
            assertThat(sample.getTemperatureC()).isEqualTo(gpu.temp());
            assertThat(sample.getMemoryTemperatureC()).isEqualTo(gpu.memTemp());
            assertThat(sample.getPowerDrawW()).isEqualTo(gpu.power());
            assertThat(sample.getPowerLimitW()).isEqualTo(onDgx ? 700.0 : 400.0);
            assertThat(sample.getSmClockMhz()).isEqualTo(gpu.smClock());
            assertThat(sample.getMemoryClockMhz()).isEqualTo(gpu.memClock());
            assertThat(sample.getClockEventReasons()).isEqualTo(gpu.reasons());
            assertThat(sample.getEccCorrected()).isEqualTo(gpu.sbe());
            assertThat(sample.getEccUncorrected()).isEqualTo(gpu.dbe());
            assertThat(sample.getXid()).isEqualTo(gpu.xid());
            assertThat(sample.getTimestamp()).isBetween(started, ended);
            assertThat(sample.getEventId())
                    .isEqualTo(GpuSampleIds.eventId(sample.getGpuUuid(), sample.getTimestamp()));
        }
        // Every scrape gave one reading per GPU of its page, each GPU once per scrape.
        Map<String, Long> perGpu =
                landed.stream()
                        .collect(
                                Collectors.groupingBy(
                                        GpuSample::getGpuUuid, Collectors.counting()));
        assertThat(perGpu).containsOnlyKeys(byUuid.keySet());
        assertThat(landed.stream().map(GpuSample::getEventId).distinct()).hasSize(landed.size());
        long dgxScrapesLanded = perGpu.get(dgx.get(0).uuid());
        assertThat(dgx)
                .allSatisfy(g -> assertThat(perGpu.get(g.uuid())).isEqualTo(dgxScrapesLanded));
        assertThat(read).isEqualTo(4 * dgxScrapesLanded + 2 * perGpu.get(older.get(0).uuid()));
    }

    /** One GPU's values on an exporter page. */
    record ExporterGpu(
            int index,
            String uuid,
            double util,
            double memCopyUtil,
            long fbUsed,
            long fbFree,
            long fbReserved,
            double temp,
            double memTemp,
            double power,
            int smClock,
            int memClock,
            long reasons,
            long sbe,
            long dbe,
            int xid) {}

    /** A metric of the page: its name, type, help text and each GPU's value. */
    private record Metric(
            String name, String type, String help, ToDoubleFunction<ExporterGpu> value) {}

    /** The default counters of dcgm-exporter, in its order, with the clock-reasons metric given. */
    private static List<Metric> metrics(String reasonsMetric, double powerLimit) {
        return List.of(
                new Metric(
                        "DCGM_FI_DEV_SM_CLOCK",
                        "gauge",
                        "SM clock frequency (in MHz).",
                        ExporterGpu::smClock),
                new Metric(
                        "DCGM_FI_DEV_MEM_CLOCK",
                        "gauge",
                        "Memory clock frequency (in MHz).",
                        ExporterGpu::memClock),
                new Metric(
                        "DCGM_FI_DEV_MEMORY_TEMP",
                        "gauge",
                        "Memory temperature (in C).",
                        ExporterGpu::memTemp),
                new Metric(
                        "DCGM_FI_DEV_GPU_TEMP",
                        "gauge",
                        "GPU temperature (in C).",
                        ExporterGpu::temp),
                new Metric(
                        "DCGM_FI_DEV_POWER_USAGE",
                        "gauge",
                        "Power draw (in W).",
                        ExporterGpu::power),
                new Metric(
                        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
                        "counter",
                        "Total energy consumption since boot (in mJ).",
                        g -> 912345678),
                new Metric(
                        "DCGM_FI_DEV_PCIE_REPLAY_COUNTER",
                        "counter",
                        "Total number of PCIe retries.",
                        g -> 0),
                new Metric(
                        "DCGM_FI_DEV_GPU_UTIL",
                        "gauge",
                        "GPU utilization (in %).",
                        ExporterGpu::util),
                new Metric(
                        "DCGM_FI_DEV_MEM_COPY_UTIL",
                        "gauge",
                        "Memory utilization (in %).",
                        ExporterGpu::memCopyUtil),
                new Metric("DCGM_FI_DEV_ENC_UTIL", "gauge", "Encoder utilization (in %).", g -> 0),
                new Metric("DCGM_FI_DEV_DEC_UTIL", "gauge", "Decoder utilization (in %).", g -> 0),
                new Metric(
                        "DCGM_FI_DEV_XID_ERRORS",
                        "gauge",
                        "Value of the last XID error encountered.",
                        ExporterGpu::xid),
                new Metric(
                        "DCGM_FI_DEV_FB_FREE",
                        "gauge",
                        "Framebuffer memory free (in MiB).",
                        ExporterGpu::fbFree),
                new Metric(
                        "DCGM_FI_DEV_FB_USED",
                        "gauge",
                        "Framebuffer memory used (in MiB).",
                        ExporterGpu::fbUsed),
                new Metric(
                        "DCGM_FI_DEV_FB_RESERVED",
                        "gauge",
                        "Framebuffer memory reserved (in MiB).",
                        ExporterGpu::fbReserved),
                new Metric(
                        reasonsMetric,
                        "gauge",
                        "Current clock event reasons.",
                        ExporterGpu::reasons),
                new Metric(
                        "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL",
                        "counter",
                        "Total number of single-bit volatile ECC errors.",
                        ExporterGpu::sbe),
                new Metric(
                        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
                        "counter",
                        "Total number of double-bit volatile ECC errors.",
                        ExporterGpu::dbe),
                new Metric(
                        "DCGM_FI_DEV_POWER_MGMT_LIMIT",
                        "gauge",
                        "Current power limit for the device (in W).",
                        g -> powerLimit));
    }

    /** A page as dcgm-exporter serves it: HELP and TYPE per metric, one series per GPU. */
    private static String page(
            List<ExporterGpu> gpus, String model, String hostname, String reasonsMetric) {
        StringBuilder page = new StringBuilder();
        for (Metric metric : metrics(reasonsMetric, model.contains("H100") ? 700 : 400)) {
            page.append("# HELP ")
                    .append(metric.name())
                    .append(' ')
                    .append(metric.help())
                    .append('\n');
            page.append("# TYPE ")
                    .append(metric.name())
                    .append(' ')
                    .append(metric.type())
                    .append('\n');
            for (ExporterGpu gpu : gpus) {
                double v = metric.value().applyAsDouble(gpu);
                page.append(metric.name())
                        .append("{gpu=\"")
                        .append(gpu.index())
                        .append("\",UUID=\"")
                        .append(gpu.uuid())
                        .append("\",pci_bus_id=\"00000000:")
                        .append(String.format("%02X", 0x18 + gpu.index()))
                        .append(":00.0\",device=\"nvidia")
                        .append(gpu.index())
                        .append("\",modelName=\"")
                        .append(model)
                        .append('"')
                        .append(hostname == null ? "" : ",Hostname=\"" + hostname + "\"")
                        .append(",DCGM_FI_DRIVER_VERSION=\"550.90.07\"} ")
                        .append(v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v))
                        .append('\n');
            }
        }
        return page.toString();
    }

    private static void serve(
            com.sun.net.httpserver.HttpExchange exchange, AtomicInteger scrapes, String page)
            throws java.io.IOException {
        byte[] body = page.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders()
                .add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        scrapes.incrementAndGet();
    }

    static void awaitUntil(java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        awaitUntil(condition, () -> "");
    }

    /** Waits up to 60 s for {@code condition}; the failure says {@code state}. */
    static void awaitUntil(
            java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> state)
            throws InterruptedException {
        awaitUntil(condition, state, Duration.ofSeconds(60));
    }

    /** Waits up to {@code limit} for {@code condition}; the failure says {@code state}. */
    static void awaitUntil(
            java.util.function.BooleanSupplier condition,
            java.util.function.Supplier<String> state,
            Duration limit)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Waited " + limit.toSeconds() + " s; " + state.get());
            }
            Thread.sleep(20);
        }
    }
}
