package dev.substrate.local.cli;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.policies.ModelRegistryDeserializer;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.local.policies.BacktestReport;
import dev.substrate.local.policies.PolicyBacktest;
import dev.substrate.operators.policies.ModelApproval;
import dev.substrate.operators.policies.Policy;
import dev.substrate.operators.policies.PolicyFile;
import dev.substrate.operators.policies.PolicyFileException;
import dev.substrate.operators.policies.PolicyTemplate;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code substrate policies backtest}: runs a policy file over the lake's history and prints what
 * would have fired, per policy, with examples, writing nothing ({@link PolicyBacktest}).
 */
@Command(
        name = "backtest",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a policy file over the audit events and GPU samples of the lake between --from"
                    + " and --to, in event time, with the same CEP operators as the job, and prints"
                    + " per policy how many incidents it would have reported (and the repeats its"
                    + " cool-down would have suppressed), with the first incidents' narratives.",
            "Writes nothing: no table, no topic. See the alert volume before a policy goes live."
        })
public final class PolicyBacktestCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--from",
            required = true,
            converter = SinceConverter.class,
            description =
                    "Start of the range (event time): an instant, a UTC day or a duration ago.")
    Instant from;

    @Option(
            names = "--to",
            converter = SinceConverter.class,
            description = "End of the range, exclusive (default: now).")
    Instant to;

    @Option(
            names = "--policies",
            defaultValue = PolicyFile.DEFAULT,
            description = "The policy file to try (default: the shipped catalogue).")
    String policies;

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate",
            description =
                    "The local data directory whose lake to read (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--kafka",
            description =
                    "Kafka bootstrap servers to read the model registry topic from; without it the"
                            + " unapproved-model policies are left out.")
    String kafka;

    @Option(
            names = "--model-registry-topic",
            defaultValue = "substrate.model-registry",
            description = "The model registry topic (default: ${DEFAULT-VALUE}).")
    String registryTopic;

    @Option(
            names = "--examples",
            defaultValue = "2",
            description = "Narratives shown per policy (default: ${DEFAULT-VALUE}).")
    int examples;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            List<Policy> chosen = new ArrayList<>(PolicyFile.load(policies));
            List<ModelApproval> registry = List.of();
            if (kafka == null) {
                if (chosen.removeIf(p -> p.template() == PolicyTemplate.UNAPPROVED_MODEL)) {
                    out.println(
                            "Leaving out the unapproved-model policies: give --kafka to read the"
                                    + " model registry.");
                }
            } else {
                registry = readRegistry();
            }
            Path warehouse = dataDir.resolve("warehouse");
            if (!Files.isDirectory(warehouse)) {
                err.println(
                        "substrate policies backtest: no lake in "
                                + warehouse
                                + "; run substrate local first or give --data-dir");
                return 1;
            }
            Configuration lake = new Configuration();
            lake.set(SubstrateOptions.CATALOG_TYPE, "hadoop");
            lake.set(SubstrateOptions.CATALOG_WAREHOUSE, warehouse.toString());
            BacktestReport report =
                    PolicyBacktest.builder()
                            .catalog(StageContext.catalog(lake).catalogLoader())
                            .policies(chosen)
                            .from(from)
                            .to(to == null ? Instant.now() : to)
                            .registry(registry)
                            .examples(examples)
                            .build()
                            .run();
            report.print(out);
            return 0;
        } catch (PolicyFileException | IllegalArgumentException e) {
            err.println("substrate policies backtest: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("substrate policies backtest failed: " + e);
            return 1;
        }
    }

    /** The whole registry topic, from its beginning to its end now. */
    private List<ModelApproval> readRegistry() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ModelApproval> changes = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(registryTopic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalArgumentException(
                            "the model registry topic "
                                    + registryTopic
                                    + " could not be read in 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    ModelApproval change =
                            ModelRegistryDeserializer.parse(r.key(), r.value(), r.timestamp());
                    if (change != null) {
                        changes.add(change);
                    }
                }
            }
        }
        return changes;
    }
}
