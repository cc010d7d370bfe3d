package dev.substrate.sources.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.substrate.events.GpuSample;
import dev.substrate.testkit.MiniClusters;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Scrapes two fake exporters served by a real HTTP server on 127.0.0.1. */
class DcgmExporterSourceITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private HttpServer server;
    private final AtomicInteger node1Requests = new AtomicInteger();
    private final AtomicInteger node2Requests = new AtomicInteger();

    @BeforeEach
    void startExporters() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/node1/metrics",
                exchange -> {
                    int n = node1Requests.incrementAndGet();
                    // Utilization tells the scrapes apart: 10, 20, 30, ...
                    respond(exchange, 200, DcgmMetricsParserTest.exporterText(10 * n, 100, 0));
                });
        server.createContext(
                "/node2/metrics",
                exchange -> {
                    int n = node2Requests.incrementAndGet();
                    if (n == 1) { // the exporter is restarting: the scrape fails, then recovers
                        respond(exchange, 503, "starting");
                    } else {
                        respond(
                                exchange,
                                200,
                                DcgmMetricsParserTest.exporterText(50, 200, 79)
                                        .replace("6d6d7dc3ce21", "node-2")
                                        .replace("GPU-", "GPU-n2-"));
                    }
                });
        server.start();
    }

    private static void respond(
            com.sun.net.httpserver.HttpExchange exchange, int status, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @AfterEach
    void stopExporters() {
        server.stop(0);
    }

    @Test
    void scrapesEveryEndpointAtTheIntervalIntoOneReadingPerGpu() throws Exception {
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        DcgmExporterSource source =
                DcgmExporterSource.builder()
                        .endpoint(URI.create(base + "/node1/metrics"), "us-east-1", "c1")
                        .endpoint(URI.create(base + "/node2/metrics"), "us-east-1", "c1")
                        .interval(Duration.ofMillis(200))
                        .maxScrapes(3)
                        .build();
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);

        List<GpuSample> samples = new ArrayList<>();
        long started = System.nanoTime();
        long startedMillis = System.currentTimeMillis();
        try (var it =
                env.fromSource(
                                source,
                                WatermarkStrategy.noWatermarks(),
                                "dcgm",
                                new AvroTypeInfo<>(GpuSample.class))
                        .executeAndCollect()) {
            it.forEachRemaining(samples::add);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        // 3 successful scrapes x 2 GPUs per endpoint.
        assertThat(samples).hasSize(12);
        Map<String, List<GpuSample>> byNode =
                samples.stream().collect(Collectors.groupingBy(GpuSample::getNode));
        assertThat(byNode.get("6d6d7dc3ce21"))
                .extracting(GpuSample::getUtilizationPct)
                .containsExactlyInAnyOrder(10.0, 20.0, 30.0, 100.0, 100.0, 100.0);
        assertThat(byNode.get("node-2")).hasSize(6);
        assertThat(byNode.get("node-2"))
                .filteredOn(s -> s.getGpuIndex() == 1)
                .allSatisfy(s -> assertThat(s.getXid()).isEqualTo(79));
        assertThat(node2Requests.get()).isEqualTo(4); // one failed scrape, retried
        assertThat(node1Requests.get()).isEqualTo(3);
        // Scrapes follow the interval's cadence: the third cannot come before two intervals have
        // passed (a loaded machine may delay a scrape, then catch up, so single gaps vary).
        List<Long> times =
                byNode.get("6d6d7dc3ce21").stream()
                        .map(s -> s.getTimestamp().toEpochMilli())
                        .distinct()
                        .sorted()
                        .toList();
        assertThat(times).hasSize(3);
        assertThat(times.get(2) - startedMillis).isGreaterThanOrEqualTo(2 * 200 - 10);
        assertThat(took).isLessThan(Duration.ofSeconds(30));
    }
}
