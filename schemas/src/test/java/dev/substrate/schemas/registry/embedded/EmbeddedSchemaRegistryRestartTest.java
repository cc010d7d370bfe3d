package dev.substrate.schemas.registry.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.schemas.registry.CompatibilityLevel;
import dev.substrate.schemas.registry.RegisteredSchema;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded registry keeps every id, version and configuration across restarts. */
class EmbeddedSchemaRegistryRestartTest {

    private static final Schema V1 = reading("{\"name\":\"id\",\"type\":\"string\"}");
    private static final Schema V2 =
            reading(
                    "{\"name\":\"id\",\"type\":\"string\"}",
                    "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}");
    private static final Schema V3 =
            reading(
                    "{\"name\":\"id\",\"type\":\"string\"}",
                    "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}",
                    "{\"name\":\"count\",\"type\":\"long\",\"default\":0}");
    private static final Schema OTHER =
            new Schema.Parser()
                    .parse(
                            "{\"type\":\"record\",\"name\":\"Other\",\"fields\":"
                                    + "[{\"name\":\"x\",\"type\":\"int\"}]}");

    @TempDir Path stateDir;

    @Test
    void restartKeepsIdsVersionsSubjectsAndConfig() throws Exception {
        int v1Id;
        int v2Id;
        int otherId;
        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            v1Id = client.register("readings-value", V1);
            v2Id = client.register("readings-value", V2);
            // Same schema under another subject: the same global id, as in Confluent.
            assertThat(client.register("mirror-value", V1)).isEqualTo(v1Id);
            otherId = client.register("other-value", OTHER);
            // Registering an identical schema again adds no version.
            assertThat(client.register("readings-value", V2)).isEqualTo(v2Id);
            assertThat(List.of(v1Id, v2Id, otherId)).doesNotHaveDuplicates();

            client.setCompatibility(null, CompatibilityLevel.FORWARD);
            client.setCompatibility("readings-value", CompatibilityLevel.FULL_TRANSITIVE);
        }

        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            assertThat(client.getSubjects())
                    .containsExactly("mirror-value", "other-value", "readings-value");
            assertThat(client.getVersions("readings-value")).containsExactly(1, 2);
            assertThat(client.getVersions("mirror-value")).containsExactly(1);

            assertThat(client.getVersion("readings-value", 1))
                    .isEqualTo(new RegisteredSchema("readings-value", 1, v1Id, V1));
            assertThat(client.getLatest("readings-value"))
                    .isEqualTo(new RegisteredSchema("readings-value", 2, v2Id, V2));
            assertThat(client.getLatest("mirror-value").id()).isEqualTo(v1Id);
            assertThat(client.getSchemaById(otherId)).isEqualTo(OTHER);
            assertThat(client.getId("readings-value", V1)).isEqualTo(v1Id);

            assertThat(client.getCompatibility(null)).isEqualTo(CompatibilityLevel.FORWARD);
            assertThat(client.getCompatibility("readings-value"))
                    .isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
            assertThat(client.getCompatibility("other-value"))
                    .as("a subject without its own level follows the global one")
                    .isEqualTo(CompatibilityLevel.FORWARD);

            // New registrations continue the sequences instead of reusing ids or versions.
            int v3Id = client.register("readings-value", V3);
            assertThat(v3Id).isGreaterThan(Math.max(v1Id, Math.max(v2Id, otherId)));
            assertThat(client.getLatest("readings-value").version()).isEqualTo(3);
        }

        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            assertThat(client.getVersions("readings-value")).containsExactly(1, 2, 3);
        }
    }

    @Test
    void tornLastLineFromACrashIsCutAndEarlierStateKept() throws Exception {
        int id;
        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            id = client.register("readings-value", V1);
        }
        Path log = stateDir.resolve(RegistryLog.FILE_NAME);
        Files.writeString(
                log,
                "{\"type\":\"VERSION\",\"subject\":\"readings-va",
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);

        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            assertThat(client.getLatest("readings-value").id()).isEqualTo(id);
            assertThat(client.register("readings-value", V2)).isGreaterThan(id);
        }
        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            assertThat(client.getVersions("readings-value")).containsExactly(1, 2);
        }
    }

    @Test
    void corruptLineInTheMiddleRefusesToStart() throws Exception {
        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            client.register("readings-value", V1);
        }
        Path log = stateDir.resolve(RegistryLog.FILE_NAME);
        String content = Files.readString(log);
        Files.writeString(log, "not json\n" + content);

        assertThatThrownBy(this::start)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("corrupt at line 1");
    }

    @Test
    void secondRegistryOnTheSameStateDirectoryIsRefused() throws Exception {
        try (EmbeddedSchemaRegistry registry = start()) {
            assertThatThrownBy(this::start)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("Another schema registry");
        }
        // The lock is released on close.
        start().close();
    }

    @Test
    void bindsToTheRequestedLoopbackAddress() throws Exception {
        try (EmbeddedSchemaRegistry registry = start()) {
            assertThat(registry.url()).isEqualTo("http://127.0.0.1:" + registry.port());
            assertThat(registry.port()).isPositive();
        }
    }

    private EmbeddedSchemaRegistry start() throws IOException {
        return EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
    }

    private static SchemaRegistryClient clientFor(EmbeddedSchemaRegistry registry) {
        return new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
    }

    private static Schema reading(String... fields) {
        return new Schema.Parser()
                .parse(
                        "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"dev.substrate.test\","
                            + "\"fields\":["
                                + String.join(",", fields)
                                + "]}");
    }
}
