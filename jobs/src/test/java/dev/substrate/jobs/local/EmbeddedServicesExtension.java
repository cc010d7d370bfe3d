package dev.substrate.jobs.local;

import dev.substrate.schemas.registry.embedded.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An embedded Kafka broker and schema registry for the ITCases of a class, on free loopback ports,
 * with every topic the job reads or writes ({@link LocalRunner#topics}, 2 partitions) created:
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedServicesExtension SERVICES = new EmbeddedServicesExtension();
 * ... SERVICES.broker().bootstrapServers() ... SERVICES.registry().url() ...
 * }</pre>
 */
public final class EmbeddedServicesExtension implements BeforeAllCallback, AfterAllCallback {

    private Path dir;
    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("substrate-it-services-");
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
        registry = EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
        // Inputs, dead letters and the later stages' outputs: a missing one would fail the job.
        TopicCreator.createIfAbsent(broker.bootstrapServers(), LocalRunner.topics(2));
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
