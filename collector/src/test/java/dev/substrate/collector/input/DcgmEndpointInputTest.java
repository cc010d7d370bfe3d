package dev.substrate.collector.input;

import static dev.substrate.collector.input.NvidiaSmiProcessInputTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.substrate.collector.CollectorStartException;
import dev.substrate.events.GpuSample;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scraping a dcgm-exporter page served by a real HTTP server on 127.0.0.1. */
class DcgmEndpointInputTest {

    private static final String PAGE =
            "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n"
                    + "# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"
                    + "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-a\",modelName=\"NVIDIA H100 80GB"
                    + " HBM3\",Hostname=\"gpu-node-7\"} 97\n"
                    + "DCGM_FI_DEV_GPU_UTIL{gpu=\"1\",UUID=\"GPU-b\",modelName=\"NVIDIA H100 80GB"
                    + " HBM3\",Hostname=\"gpu-node-7\"} 3\n";

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int status = 200;
    private final ConcurrentLinkedQueue<GpuSample> readings = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void startExporter() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/metrics",
                exchange -> {
                    requests.incrementAndGet();
                    respond(exchange, status, status == 200 ? PAGE : "unavailable");
                });
        server.start();
    }

    @AfterEach
    void stopExporter() {
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static InputSettings settings(String node) {
        return InputSettings.builder()
                .labels("us-east-1", "c1", node)
                .interval(Duration.ofMillis(50))
                .startTimeout(Duration.ofSeconds(5))
                .build();
    }

    @Test
    void scrapesEveryIntervalAndCarriesOnAfterFailedScrapes() throws Exception {
        Instant before = Instant.now();
        try (DcgmEndpointInput input = new DcgmEndpointInput(url("/metrics"), settings(null))) {
            input.start(readings::add);
            assertThat(readings).hasSize(2); // the first scrape is part of the start
            await(() -> readings.size() >= 6);

            status = 503; // the exporter restarts
            int failedFrom = requests.get();
            await(() -> requests.get() >= failedFrom + 3);
            assertThat(input.status().errors()).isGreaterThanOrEqualTo(2);
            assertThat(input.status().lastError()).contains("HTTP 503");

            status = 200;
            int readBefore = readings.size();
            await(() -> readings.size() >= readBefore + 4);
        }
        assertThat(readings)
                .allSatisfy(
                        r -> {
                            assertThat(r.getNode()).isEqualTo("gpu-node-7"); // Hostname label
                            assertThat(r.getRegion()).isEqualTo("us-east-1");
                            assertThat(r.getTimestamp())
                                    .isAfterOrEqualTo(
                                            before.truncatedTo(
                                                    java.time.temporal.ChronoUnit.MILLIS));
                        });
        // Each scrape gives one reading per GPU, both at the scrape's time.
        assertThat(readings.stream().filter(r -> r.getGpuUuid().equals("GPU-a")).count())
                .isEqualTo(readings.stream().filter(r -> r.getGpuUuid().equals("GPU-b")).count());
    }

    @Test
    void theNodeOptionOverridesTheExportersHostname() throws Exception {
        try (DcgmEndpointInput input = new DcgmEndpointInput(url("/metrics"), settings("n-flag"))) {
            input.start(readings::add);
        }
        assertThat(readings)
                .hasSize(2)
                .allSatisfy(r -> assertThat(r.getNode()).isEqualTo("n-flag"));
    }

    @Test
    void aWrongPathOrAnEndpointWithoutAnExporterStopsTheStart() throws Exception {
        assertThatThrownBy(
                        () ->
                                new DcgmEndpointInput(url("/metric"), settings(null))
                                        .start(readings::add))
                .isInstanceOf(CollectorStartException.class)
                .hasMessageContaining(url("/metric") + " answered HTTP 404")
                .hasMessageContaining("/metrics");

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI nobody = URI.create("http://127.0.0.1:" + closedPort + "/metrics");
        assertThatThrownBy(() -> new DcgmEndpointInput(nobody, settings(null)).start(readings::add))
                .isInstanceOf(CollectorStartException.class)
                .hasMessageContaining("Cannot reach the DCGM exporter at " + nobody)
                .hasMessageContaining("9400");
        assertThat(readings).isEmpty();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
