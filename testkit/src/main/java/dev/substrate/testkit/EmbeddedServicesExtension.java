package dev.substrate.testkit;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real embedded Kafka broker (KRaft) and schema registry for the tests of a class, on free
 * loopback ports, with the topics the tests name created (2 partitions each):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedServicesExtension SERVICES =
 *         new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));
 * ... SERVICES.broker().bootstrapServers() ... SERVICES.registry().url() ...
 * }</pre>
 */
public final class EmbeddedServicesExtension implements BeforeAllCallback, AfterAllCallback {

    /** Partitions of every topic the extension creates: enough to exercise parallelism 2. */
    public static final int PARTITIONS = 2;

    private final List<String> topics;
    private Path dir;
    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;

    /** Services with these topics created up front (a job fails on a topic that is missing). */
    public EmbeddedServicesExtension(List<String> topics) {
        this.topics = List.copyOf(topics);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("substrate-it-services-");
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
        registry = EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
        Map<String, Integer> partitions = new LinkedHashMap<>();
        topics.forEach(topic -> partitions.put(topic, PARTITIONS));
        broker.createTopics(partitions);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (registry != null) {
                registry.close();
            }
            if (broker != null) {
                broker.close();
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    public EmbeddedSchemaRegistry registry() {
        return registry;
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
