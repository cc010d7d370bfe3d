package dev.substrate.local;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.jobs.SubstrateJob;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.flink.configuration.Configuration;

/**
 * The Kafka broker and schema registry of a local run: embedded ones under the data directory, or
 * the external ones the user named. Closing stops only what it started.
 */
public final class LocalServices implements AutoCloseable {

    static final int TOPIC_PARTITIONS = 2;

    @Nullable private final EmbeddedKafkaBroker broker;
    @Nullable private final EmbeddedSchemaRegistry registry;
    private final String bootstrapServers;
    private final String registryUrl;

    private LocalServices(
            @Nullable EmbeddedKafkaBroker broker,
            @Nullable EmbeddedSchemaRegistry registry,
            String bootstrapServers,
            String registryUrl) {
        this.broker = broker;
        this.registry = registry;
        this.bootstrapServers = bootstrapServers;
        this.registryUrl = registryUrl;
    }

    public static LocalServices start(LocalSettings settings, Path dataDir, PrintStream out)
            throws Exception {
        EmbeddedKafkaBroker broker = null;
        EmbeddedSchemaRegistry registry = null;
        try {
            String bootstrap = settings.externalKafka();
            if (bootstrap == null) {
                broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), settings.kafkaPort());
                bootstrap = broker.bootstrapServers();
                out.printf(
                        "Kafka (embedded): %s  (log dir %s)%n",
                        bootstrap, dataDir.resolve("kafka"));
            } else {
                out.printf("Kafka (external): %s%n", bootstrap);
            }
            String registryUrl = settings.externalRegistry();
            if (registryUrl == null) {
                registry =
                        EmbeddedSchemaRegistry.start(
                                dataDir.resolve("registry"), "127.0.0.1", settings.registryPort());
                registryUrl = registry.url();
                out.printf(
                        "Schema registry:  %s  (embedded, state in %s)%n",
                        registryUrl, dataDir.resolve("registry"));
            } else {
                out.printf("Schema registry:  %s  (external)%n", registryUrl);
            }
            LocalServices services = new LocalServices(broker, registry, bootstrap, registryUrl);
            services.createTopics();
            return services;
        } catch (Exception e) {
            if (registry != null) {
                registry.close();
            }
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    private void createTopics() throws Exception {
        Map<String, Integer> topics = new LinkedHashMap<>();
        SubstrateJob.topics(new Configuration()).forEach(t -> topics.put(t, TOPIC_PARTITIONS));
        if (broker != null) {
            broker.createTopics(topics);
        } else {
            TopicCreator.createIfAbsent(bootstrapServers, topics);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String registryUrl() {
        return registryUrl;
    }

    @Override
    public void close() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }
}
