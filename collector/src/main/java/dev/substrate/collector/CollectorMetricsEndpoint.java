package dev.substrate.collector;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.substrate.collector.input.InputStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Serves a collector's counters at {@code GET /metrics} in the Prometheus text format, so the
 * readings it had to drop can be scraped and alerted on like the GPUs themselves:
 *
 * <pre>
 * substrate_collector_readings_read_total{input="nvidia-smi"} 1204
 * substrate_collector_input_errors_total{input="nvidia-smi"} 0
 * substrate_collector_readings_sent_total 1180
 * substrate_collector_readings_dropped_total 0
 * substrate_collector_buffered_readings 24
 * substrate_collector_buffer_capacity 20000
 * substrate_collector_in_flight_readings 0
 * </pre>
 */
public final class CollectorMetricsEndpoint implements AutoCloseable {

    private final HttpServer server;

    private CollectorMetricsEndpoint(HttpServer server) {
        this.server = server;
    }

    /**
     * Starts serving on {@code host:port} (port 0 picks a free one).
     *
     * @throws IOException when the port is taken
     */
    public static CollectorMetricsEndpoint start(
            String host, int port, Supplier<CollectorStatus> status) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext(
                "/metrics",
                exchange -> {
                    try (exchange) {
                        if (!"GET".equals(exchange.getRequestMethod())) {
                            exchange.sendResponseHeaders(405, -1);
                            return;
                        }
                        respond(exchange, render(status.get()));
                    }
                });
        server.start();
        return new CollectorMetricsEndpoint(server);
    }

    /** The port served on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The counters of {@code status} in the Prometheus text format (version 0.0.4). */
    static String render(CollectorStatus status) {
        StringBuilder out = new StringBuilder();
        header(
                out,
                "substrate_collector_readings_read_total",
                "Readings read, per input.",
                "counter");
        for (InputStatus input : status.inputs()) {
            sample(out, "substrate_collector_readings_read_total", input.name(), input.read());
        }
        header(
                out,
                "substrate_collector_input_errors_total",
                "Bad lines, failed scrapes and nvidia-smi restarts, per input.",
                "counter");
        for (InputStatus input : status.inputs()) {
            sample(out, "substrate_collector_input_errors_total", input.name(), input.errors());
        }
        single(
                out,
                "substrate_collector_readings_sent_total",
                "Readings Kafka acknowledged.",
                "counter",
                status.sent());
        single(
                out,
                "substrate_collector_readings_dropped_total",
                "Readings dropped, oldest first, because the buffer was full while Kafka was away.",
                "counter",
                status.dropped());
        single(
                out,
                "substrate_collector_buffered_readings",
                "Readings waiting in the buffer.",
                "gauge",
                status.buffered());
        single(
                out,
                "substrate_collector_buffer_capacity",
                "The most readings the buffer holds.",
                "gauge",
                status.bufferCapacity());
        single(
                out,
                "substrate_collector_in_flight_readings",
                "Readings sent to Kafka and not acknowledged yet.",
                "gauge",
                status.inFlight());
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String input, long value) {
        out.append(name)
                .append("{input=\"")
                .append(escape(input))
                .append("\"} ")
                .append(value)
                .append('\n');
    }

    private static void single(
            StringBuilder out, String name, String help, String type, long value) {
        header(out, name, help, type);
        out.append(name).append(' ').append(value).append('\n');
    }

    private static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static void respond(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders()
                .add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
