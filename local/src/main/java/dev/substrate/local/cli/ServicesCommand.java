package dev.substrate.local.cli;

import dev.substrate.local.LocalRunException;
import dev.substrate.local.LocalServices;
import dev.substrate.local.LocalSettings;
import dev.substrate.samples.SampleEventProducer;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code substrate services}: only the embedded Kafka broker and schema registry (and, with {@code
 * --rate}, the sample producer), for a job running elsewhere, such as on a standalone Flink cluster
 * started by {@code deploy/standalone/flink-cluster.sh}.
 */
@Command(
        name = "services",
        mixinStandardHelpOptions = true,
        description = {
            "Starts the embedded Kafka broker and schema registry on 127.0.0.1, creates the topics,"
                    + " registers the schemas and, with --rate, produces sample events. Runs"
                    + " until Ctrl-C."
        })
public final class ServicesCommand implements Callable<Integer> {

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate/services",
            description =
                    "Where Kafka and the registry keep their data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--kafka-port",
            defaultValue = "9092",
            description = "Port of the embedded broker (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--registry-port",
            defaultValue = "8085",
            description = "Port of the embedded registry (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(
            names = "--rate",
            defaultValue = "0",
            description =
                    "Sample events per second to produce; 0 produces none (default:"
                            + " ${DEFAULT-VALUE}).")
    int eventsPerSecond;

    @Option(
            names = "--bad-fraction",
            defaultValue = "0.01",
            description = "Fraction of sample records sent broken (default: ${DEFAULT-VALUE}).")
    double badFraction;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the sample generators.")
    long seed;

    @Override
    public Integer call() throws Exception {
        System.setProperty(
                "substrate.log.dir", dataDir.toAbsolutePath().resolve("logs").toString());
        if (eventsPerSecond < 0) {
            System.err.println(
                    "substrate services: --rate must be 0 (no events) or more, was "
                            + eventsPerSecond);
            return 2;
        }
        LocalSettings settings;
        try {
            settings =
                    LocalSettings.builder()
                            .dataDir(dataDir)
                            .ports(kafkaPort, registryPort, 0)
                            .badFraction(badFraction)
                            .seed(seed)
                            .build();
        } catch (LocalRunException e) {
            System.err.println("substrate services: " + e.getMessage());
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        try (LocalServices services =
                        LocalServices.start(settings, dataDir.toAbsolutePath(), System.out);
                SchemaRegistryClient registry =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(services.registryUrl()));
                SampleEventProducer producer =
                        new SampleEventProducer(
                                services.bootstrapServers(), registry, seed, badFraction)) {
            System.out.println("Schemas registered; topics created. Ctrl-C stops the services.");
            if (eventsPerSecond > 0) {
                System.out.printf(
                        "Producing about %d sample events per second.%n", eventsPerSecond);
                producer.streamAt(eventsPerSecond, stop);
                System.out.printf(
                        "Produced %,d good + %,d bad records.%n",
                        producer.report().good(), producer.report().bad());
            } else {
                stop.await();
            }
        }
        return 0;
    }
}
