package dev.substrate.local.cli;

import dev.substrate.local.LocalRunException;
import dev.substrate.local.LocalRunner;
import dev.substrate.local.LocalSettings;
import dev.substrate.local.LocalTelemetry;
import dev.substrate.local.RunSummary;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.flink.util.ExceptionUtils;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code substrate local}: the whole pipeline on this machine, with nothing to install. */
@Command(
        name = "local",
        mixinStandardHelpOptions = true,
        description = {
            "Starts an embedded Kafka broker and schema registry, produces sample events, runs the"
                    + " Substrate job on a Flink MiniCluster (web UI on localhost) and, when"
                    + " stopped, prints a summary read back from the Iceberg tables.",
            "Streams until Ctrl-C unless --duration or --events is given."
        })
public final class LocalCommand implements Callable<Integer> {

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate",
            description =
                    "Where Kafka, the registry, the Iceberg warehouse and checkpoints live"
                            + " (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--duration",
            description = "Stop after this long, e.g. 60s, 5m, PT2M.",
            converter = DurationConverter.class)
    Duration duration;

    @Option(
            names = "--events",
            description =
                    "Produce exactly this many good events (plus bad ones), process them and stop"
                            + " with every window closed (a drained final savepoint), so the"
                            + " quality report and telemetry windows are complete.")
    Long events;

    @Option(
            names = "--rate",
            defaultValue = "500",
            description =
                    "Events per second the producer sends while streaming (default:"
                            + " ${DEFAULT-VALUE}).")
    int eventsPerSecond;

    @Option(
            names = "--bad-fraction",
            defaultValue = "0.01",
            description =
                    "Fraction of records sent deliberately broken, of every kind (default:"
                            + " ${DEFAULT-VALUE}).")
    double badFraction;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed of the sample generators (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--kafka",
            description = "Use this Kafka (bootstrap servers) instead of the embedded broker.")
    String externalKafka;

    @Option(
            names = "--registry",
            description = "Use this schema registry URL instead of the embedded one.")
    String externalRegistry;

    @Option(
            names = "--kafka-port",
            defaultValue = "9092",
            description = "Port of the embedded broker, 0 for any (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--registry-port",
            defaultValue = "8085",
            description = "Port of the embedded registry, 0 for any (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(
            names = "--web-ui-port",
            defaultValue = "8081",
            description = "Port of the Flink web UI, 0 for any (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Option(
            names = "--search-port",
            defaultValue = "8090",
            description =
                    "Port of /api/search (the vector index, on 127.0.0.1), 0 for any (default:"
                            + " ${DEFAULT-VALUE}).")
    int searchPort;

    @Option(
            names = "--dashboard-port",
            defaultValue = "8088",
            description =
                    "Port of the live dashboard on 127.0.0.1, 0 for any, -1 for none (default:"
                            + " ${DEFAULT-VALUE}).")
    int dashboardPort;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--checkpoint-interval",
            defaultValue = "2s",
            converter = DurationConverter.class,
            description = "Checkpoint (and Iceberg commit) interval (default: ${DEFAULT-VALUE}).")
    Duration checkpointInterval;

    @Option(
            names = "--no-samples",
            description =
                    "Produce and register nothing: run the job on what the input topics of the"
                            + " given --kafka and --registry hold (or will hold).")
    boolean noSamples;

    @Option(
            names = "--catch-up",
            description =
                    "With --no-samples: stop (drained) once every record the input topics held"
                            + " at the start is in the lake.")
    boolean catchUp;

    @Option(
            names = "--resume-from",
            paramLabel = "<snapshot>",
            description =
                    "Resume from this savepoint or checkpoint directory (relative to the data"
                            + " directory) instead of the newest. Rows the lake holds from after"
                            + " it are written again; the summary's audit names them.")
    String resumeFrom;

    @Option(
            names = "--telemetry",
            paramLabel = "<source>",
            defaultValue = "synthetic",
            description =
                    "Where GPU readings come from: synthetic (a simulated fleet and the real H100"
                            + " trace, the default), nvidia-smi (this machine's GPUs),"
                            + " dcgm=URL[,URL] (DCGM exporter endpoints) or file=PATH (an"
                            + " nvidia-smi CSV capture, followed while streaming). Real readings"
                            + " are published by the collector of substrate collect.")
    String telemetry;

    @Override
    public Integer call() throws Exception {
        System.setProperty(
                "substrate.log.dir", dataDir.toAbsolutePath().resolve("logs").toString());
        LocalSettings settings;
        try {
            settings =
                    LocalSettings.builder()
                            .dataDir(dataDir)
                            .externalKafka(externalKafka)
                            .externalRegistry(externalRegistry)
                            .ports(kafkaPort, registryPort, webUiPort)
                            .parallelism(parallelism)
                            .checkpointInterval(checkpointInterval)
                            .duration(duration)
                            .events(events)
                            .eventsPerSecond(eventsPerSecond)
                            .badFraction(badFraction)
                            .seed(seed)
                            .samples(!noSamples)
                            .catchUp(catchUp)
                            .resumeFrom(resumeFrom)
                            .telemetry(LocalTelemetry.parse(telemetry))
                            .searchPort(searchPort)
                            .dashboardPort(dashboardPort)
                            .build();
        } catch (LocalRunException e) {
            System.err.println("substrate local: " + e.getMessage());
            return 2;
        }
        LocalRunner runner = new LocalRunner(settings, System.out);
        // Ctrl-C asks for a clean stop instead of starting JVM shutdown under a running job;
        // a second Ctrl-C exits at once.
        Signal.handle(
                new Signal("INT"),
                signal -> {
                    if (runner.stopRequested()) {
                        System.err.println("Second Ctrl-C: exiting without a clean stop.");
                        Runtime.getRuntime().halt(130);
                    }
                    System.out.println(
                            "Ctrl-C: stopping cleanly (Ctrl-C again to exit at once)...");
                    runner.requestStop();
                });
        try {
            RunSummary summary = runner.run();
            summary.print(System.out);
            return summary.accountedFor() ? 0 : 1;
        } catch (LocalRunException e) {
            System.err.println("substrate local: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            LoggerFactory.getLogger(LocalCommand.class).error("The local run failed", e);
            System.err.println(
                    "substrate local failed: "
                            + ExceptionUtils.stringifyException(e).lines().findFirst().orElse("")
                            + "\nThe full story is in "
                            + dataDir.toAbsolutePath().resolve("logs/substrate.log"));
            return 1;
        }
    }
}
