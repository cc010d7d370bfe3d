package dev.substrate.collector;

import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code substrate collect}: runs next to the GPUs, reads nvidia-smi, an nvidia-smi CSV file or
 * DCGM exporter endpoints, and publishes every reading to Kafka for the Substrate job, printing a
 * status line every few seconds. Exit codes: 0 when everything read reached Kafka, 1 when readings
 * were dropped or could not be delivered before stopping, 2 for a bad option or an input, registry
 * or Kafka setting that does not work.
 */
@Command(
        name = "collect",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Reads real GPU telemetry (nvidia-smi, an nvidia-smi CSV file, DCGM exporter endpoints)"
                    + " and publishes GpuSample records in the Confluent wire format to Kafka,"
                    + " registering the schema. Survives Kafka outages with a bounded buffer. Runs"
                    + " until Ctrl-C (a file replay without --follow stops once delivered).",
            "",
            "Examples:",
            "  substrate collect --nvidia-smi --region us-east-1 --cluster h100-a",
            "  substrate collect --dcgm http://n1:9400/metrics,http://n2:9400/metrics",
            "  substrate collect --file gpu.csv --follow --node n7",
            ""
        })
public final class CollectCommand implements Callable<Integer> {

    /** Exit code for bad options and settings that do not work. */
    static final int EXIT_USAGE = 2;

    @Option(
            names = "--nvidia-smi",
            arity = "0..1",
            fallbackValue = "nvidia-smi",
            paramLabel = "PATH",
            description =
                    "Run nvidia-smi (from the PATH, or at PATH) every --interval and read its"
                            + " output.")
    String nvidiaSmi;

    @Option(
            names = "--query-gpu",
            paramLabel = "FIELDS",
            description =
                    "The fields nvidia-smi is asked for (default: every field Substrate reads; an"
                            + " older driver may need clocks_throttle_reasons.active instead of"
                            + " clocks_event_reasons.active).")
    String queryGpu = NvidiaSmiCsvParser.queryGpuArgument();

    @Option(
            names = "--file",
            paramLabel = "PATH",
            description =
                    "Read an nvidia-smi CSV file (nvidia-smi --query-gpu=... --format=csv); may be"
                            + " repeated.")
    List<Path> files = new ArrayList<>();

    @Option(
            names = "--follow",
            description =
                    "Keep reading the files as they grow, like tail -F (survives truncation and"
                            + " rotation); without it a file is read once.")
    boolean follow;

    @Option(
            names = "--dcgm",
            split = ",",
            paramLabel = "URL",
            description =
                    "Scrape DCGM exporter endpoints (http://host:9400/metrics) every --interval;"
                            + " comma-separated or repeated.")
    List<URI> dcgm = new ArrayList<>();

    @Option(
            names = "--kafka",
            paramLabel = "HOST:PORT[,...]",
            defaultValue = "127.0.0.1:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String kafka;

    @Option(
            names = "--registry",
            paramLabel = "URL",
            defaultValue = "http://127.0.0.1:8085",
            description =
                    "Schema registry URL (default: ${DEFAULT-VALUE}); credentials from"
                            + " SUBSTRATE_REGISTRY_BASIC_AUTH or SUBSTRATE_REGISTRY_BEARER_TOKEN.")
    String registry;

    @Option(
            names = "--topic",
            paramLabel = "TOPIC",
            defaultValue = "substrate.gpu-samples",
            description = "Topic to publish to (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--region",
            paramLabel = "REGION",
            defaultValue = "local",
            description = "Region label of every reading (default: ${DEFAULT-VALUE}).")
    String region;

    @Option(
            names = "--cluster",
            paramLabel = "CLUSTER",
            defaultValue = "local",
            description = "Cluster label of every reading (default: ${DEFAULT-VALUE}).")
    String cluster;

    @Option(
            names = "--node",
            paramLabel = "NODE",
            description =
                    "Node label of every reading (default: the exporter's Hostname label for"
                            + " DCGM, this host's name otherwise).")
    String node;

    @Option(
            names = "--interval",
            paramLabel = "DURATION",
            defaultValue = "1s",
            converter = DurationOption.class,
            description =
                    "How often nvidia-smi reads and DCGM is scraped (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(
            names = "--timezone",
            paramLabel = "ZONE",
            description =
                    "Time zone of nvidia-smi's timestamps, e.g. UTC (default: this machine's;"
                            + " nvidia-smi prints local time).")
    ZoneId zone;

    @Option(
            names = "--buffer",
            paramLabel = "READINGS",
            defaultValue = "20000",
            description =
                    "Readings kept while Kafka is away; when full, the oldest are dropped and"
                            + " counted (default: ${DEFAULT-VALUE}).")
    int buffer;

    @Option(
            names = "--max-in-flight",
            paramLabel = "READINGS",
            defaultValue = "1000",
            description =
                    "Readings sent to Kafka and not yet acknowledged, at most (default:"
                            + " ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(
            names = "--producer-config",
            paramLabel = "FILE",
            description =
                    "A properties file of Kafka producer settings (security.protocol,"
                            + " sasl.jaas.config, ssl.*); acks=all and idempotence stay on.")
    Path producerConfig;

    @Option(
            names = "--status-interval",
            paramLabel = "DURATION",
            defaultValue = "5s",
            converter = DurationOption.class,
            description = "How often the status line is printed (default: ${DEFAULT-VALUE}).")
    Duration statusInterval;

    @Option(
            names = "--metrics-port",
            paramLabel = "PORT",
            description =
                    "Serve the counters in the Prometheus text format at"
                            + " http://<metrics-host>:PORT/metrics (0 picks a free port).")
    Integer metricsPort;

    @Option(
            names = "--metrics-host",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "Address the metrics endpoint binds to (default: ${DEFAULT-VALUE}).")
    String metricsHost;

    @Option(
            names = "--drain-timeout",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = DurationOption.class,
            description =
                    "On stop, how long to wait for buffered readings to reach Kafka (default:"
                            + " ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Spec CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);
    private long startedNanos;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GpuCollector collector;
        try {
            collector = build(out);
        } catch (IllegalArgumentException | IOException e) {
            err.println("substrate collect: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        startedNanos = System.nanoTime();
        try {
            collector.start();
        } catch (CollectorStartException e) {
            err.println("substrate collect: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        onSignals("INT", "TERM");
        CollectorMetricsEndpoint metrics = null;
        try {
            if (metricsPort != null) {
                try {
                    metrics =
                            CollectorMetricsEndpoint.start(
                                    metricsHost, metricsPort, collector::status);
                } catch (IOException e) {
                    collector.close();
                    err.println(
                            "substrate collect: cannot serve metrics on "
                                    + metricsHost
                                    + ":"
                                    + metricsPort
                                    + " ("
                                    + e.getMessage()
                                    + "); choose another --metrics-port.");
                    err.flush();
                    return EXIT_USAGE;
                }
            }
            printBanner(out, collector, metrics);
            return run(collector, out);
        } finally {
            if (metrics != null) {
                metrics.close();
            }
        }
    }

    /** Prints the status line until stopped (or a file replay is delivered), then the summary. */
    private int run(GpuCollector collector, PrintWriter out) throws InterruptedException {
        boolean delivered = false;
        long nextStatus = System.nanoTime() + statusInterval.toNanos();
        while (!stop.await(100, TimeUnit.MILLISECONDS)) {
            if (collector.awaitDelivered(Duration.ZERO)) {
                delivered = true;
                break;
            }
            if (System.nanoTime() - nextStatus >= 0) {
                println(out, collector.status().line());
                nextStatus += statusInterval.toNanos();
            }
        }
        out.println("Stopping" + (delivered ? ": every reading was read and delivered." : "..."));
        out.flush();
        collector.close();
        CollectorStatus last = collector.status();
        println(out, last.line());
        out.printf(
                "Read %,d readings; Kafka acknowledged %,d; dropped %,d because the buffer was"
                        + " full; %,d not delivered.%n",
                last.read(), last.sent(), last.dropped(), last.undelivered());
        out.flush();
        return last.dropped() == 0 && last.undelivered() == 0 ? 0 : 1;
    }

    private GpuCollector build(PrintWriter out) throws IOException {
        GpuCollector.Builder builder =
                GpuCollector.builder()
                        .bootstrapServers(kafka)
                        .registry(SchemaRegistryConfig.fromEnvironment(registry))
                        .topic(topic)
                        .bufferCapacity(buffer)
                        .maxInFlight(maxInFlight)
                        .drainTimeout(drainTimeout)
                        .labels(region, cluster, node)
                        .interval(interval)
                        .notices(message -> println(out, message));
        if (zone != null) {
            builder.timeZone(zone);
        }
        if (producerConfig != null) {
            builder.producerProperties(readProperties(producerConfig));
        }
        if (follow && files.isEmpty()) {
            throw new IllegalArgumentException("--follow needs --file PATH");
        }
        if (statusInterval.isZero() || statusInterval.isNegative()) {
            throw new IllegalArgumentException("--status-interval must be positive");
        }
        if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
            throw new IllegalArgumentException(
                    "--metrics-port must be 0 to 65535, was " + metricsPort);
        }
        if (nvidiaSmi != null) {
            builder.nvidiaSmi(nvidiaSmi, queryGpu);
        }
        for (Path file : files) {
            builder.csvFile(file, follow);
        }
        for (URI url : dcgm) {
            builder.dcgm(url);
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            if (nvidiaSmi == null && files.isEmpty() && dcgm.isEmpty()) {
                throw new IllegalArgumentException(
                        "no input: give --nvidia-smi, --file PATH or --dcgm URL (see --help)", e);
            }
            throw e;
        }
    }

    private static Map<String, Object> readProperties(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IOException(
                    "cannot read the producer settings file " + file + ": " + e.getMessage(), e);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        properties
                .stringPropertyNames()
                .forEach(name -> map.put(name, properties.getProperty(name)));
        return map;
    }

    private void printBanner(
            PrintWriter out, GpuCollector collector, CollectorMetricsEndpoint metrics) {
        out.println("Collecting GPU readings from:");
        for (var input : collector.status().inputs()) {
            out.println("  " + input.name());
        }
        out.printf(
                "Publishing to Kafka %s, topic %s (GpuSample schema id %d); buffer %,d readings.%n",
                collector.bootstrapServers(), collector.topic(), collector.schemaId(), buffer);
        if (metrics != null) {
            out.printf("Metrics: http://%s:%d/metrics%n", metricsHost, metrics.port());
        }
        out.println("Press Ctrl-C to stop.");
        out.flush();
    }

    /** Stops a running collect as Ctrl-C does: it drains, prints the summary and returns. */
    void stop() {
        stop.countDown();
    }

    /** Ctrl-C and kill stop the collector cleanly: it drains the buffer and prints a summary. */
    private void onSignals(String... names) {
        for (String name : names) {
            try {
                Signal.handle(new Signal(name), signal -> stop.countDown());
            } catch (IllegalArgumentException e) {
                // The JVM reserves this signal (-Xrs): the default handling stays.
            }
        }
    }

    private void println(PrintWriter out, String message) {
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
        synchronized (out) {
            out.printf("[%4ds] %s%n", seconds, message);
            out.flush();
        }
    }
}
