package dev.substrate.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.testkit.SampleData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code substrate collect} from the command line, without a Kafka broker: bad options and settings
 * that do not work exit with code 2 and a message naming the thing and the fix; with Kafka away the
 * buffer keeps the newest readings and counts exactly the ones it dropped, on the status line and
 * at the metrics endpoint.
 */
class CollectCommandTest {

    @TempDir static Path dir;
    private static EmbeddedSchemaRegistry registry;
    private static int closedPort;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    private int run(String... args) {
        return run(new CollectCommand(), args);
    }

    private int run(CollectCommand command, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void withoutAnInputItSaysWhichInputsThereAre() {
        assertThat(run("--registry", registry.url())).isEqualTo(2);
        assertThat(err.toString())
                .contains("no input: give --nvidia-smi, --file PATH or --dcgm URL");
    }

    @Test
    void badOptionsExitWithCode2() {
        assertThat(run("--follow", "--registry", registry.url())).isEqualTo(2);
        assertThat(err.toString()).contains("--follow needs --file PATH");
        assertThat(run("--file", "x.csv", "--buffer", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("The buffer must hold at least 1 reading, was 0");
        assertThat(run("--file", "x.csv", "--interval", "soon")).isEqualTo(2);
        assertThat(err.toString()).contains("'soon' is not a duration");
        assertThat(run("--dcgm", "gpu-node-7:9400")).isEqualTo(2);
        assertThat(err.toString())
                .contains(
                        "is an http(s) URL such as http://gpu-node-1:9400/metrics, not"
                                + " 'gpu-node-7:9400'");
    }

    @Test
    void anUnreachableRegistryStopsTheStartNamingItsUrl() throws Exception {
        Path trace = SampleData.h100Trace();
        String url = "http://127.0.0.1:" + closedPort;
        assertThat(run("--file", trace.toString(), "--registry", url)).isEqualTo(2);
        assertThat(err.toString())
                .contains("Cannot reach the schema registry at " + url)
                .contains("--registry");
    }

    @Test
    void aDcgmUrlThatIs404StopsTheStartNamingTheUrlAndThePath() throws Exception {
        HttpServer exporter =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        exporter.start();
        try {
            String url = "http://127.0.0.1:" + exporter.getAddress().getPort() + "/dcgm";
            assertThat(
                            run(
                                    "--dcgm",
                                    url,
                                    "--registry",
                                    registry.url(),
                                    "--kafka",
                                    "127.0.0.1:" + closedPort))
                    .isEqualTo(2);
            assertThat(err.toString())
                    .contains("The DCGM exporter at " + url + " answered HTTP 404")
                    .contains("serves its metrics at /metrics");
        } finally {
            exporter.stop(0);
        }
    }

    @Test
    void withKafkaAwayTheBufferKeepsTheNewestReadingsAndCountsTheDroppedOnes() throws Exception {
        Path trace = SampleData.h100Trace(); // 709 readings
        int metricsPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            metricsPort = socket.getLocalPort();
        }
        CollectCommand command = new CollectCommand();
        AtomicReference<String> metrics = new AtomicReference<>("");
        Thread operator =
                new Thread(
                        () -> {
                            // The replay is read at once; Kafka never comes: look, then Ctrl-C.
                            while (!metrics.get().contains("dropped_total 609")
                                    || !out.toString().contains("no answer about topic")) {
                                metrics.set(scrape(metricsPort));
                            }
                            command.stop();
                        });
        operator.setDaemon(true);
        operator.start();

        int code =
                run(
                        command,
                        "--file",
                        trace.toString(),
                        "--timezone",
                        "UTC",
                        "--registry",
                        registry.url(),
                        "--kafka",
                        "127.0.0.1:" + closedPort, // nothing listens there
                        "--buffer",
                        "100",
                        "--status-interval",
                        "100ms",
                        "--drain-timeout",
                        "1s",
                        "--metrics-port",
                        String.valueOf(metricsPort));

        assertThat(code).isEqualTo(1); // readings were dropped and 100 were never delivered
        assertThat(metrics.get())
                .contains(
                        "substrate_collector_readings_read_total{input=\"file " + trace + "\"} 709")
                .contains("substrate_collector_readings_dropped_total 609")
                .contains("substrate_collector_buffered_readings 100")
                .contains("substrate_collector_in_flight_readings 0")
                .contains("substrate_collector_readings_sent_total 0");
        assertThat(out.toString())
                .contains(
                        "Publishing to Kafka 127.0.0.1:"
                                + closedPort
                                + ", topic substrate.gpu-samples")
                .contains("Metrics: http://127.0.0.1:" + metricsPort + "/metrics")
                .contains("buffered 100/100 │ in flight 0 │ dropped 609")
                .contains(
                        "no answer about topic substrate.gpu-samples from Kafka at 127.0.0.1:"
                                + closedPort)
                .contains(
                        "Read 709 readings; Kafka acknowledged 0; dropped 609 because the buffer"
                                + " was full; 100 not delivered.");
    }

    private static String scrape(int port) {
        try {
            Thread.sleep(50);
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + port + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (Exception e) {
            return ""; // not serving yet
        }
    }

    @Test
    void helpListsTheInputsAndTheBuffer() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString())
                .contains(
                        "--nvidia-smi",
                        "--file",
                        "--follow",
                        "--dcgm",
                        "--buffer",
                        "--metrics-port");
    }
}
