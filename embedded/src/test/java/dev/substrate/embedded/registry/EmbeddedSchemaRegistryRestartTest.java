package dev.substrate.embedded.registry;

import static dev.substrate.schemas.registry.RegistryTestSupport.reading;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.substrate.schemas.registry.CompatibilityLevel;
import dev.substrate.schemas.registry.RegisteredSchema;
import dev.substrate.schemas.registry.SchemaReference;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded registry keeps every id, version, deletion, configuration, mode and reference across
 * restarts, and still loads logs written before deletions, modes and references existed.
 */
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

    private static final Schema ADDRESS =
            new Schema.Parser()
                    .parse(
                            "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"dev.substrate.test\","
                                + "\"fields\":[{\"name\":\"street\",\"type\":\"string\"}]}");
    private static final Schema ORDER =
            new Schema.Parser()
                    .addTypes(List.of(ADDRESS))
                    .parse(
                            "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"dev.substrate.test\","
                                + "\"fields\":[{\"name\":\"ship_to\",\"type\":\"Address\"}]}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

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
    void restartKeepsDeletionsModesImportsAndReferences() throws Exception {
        int orderId;
        int purgedId;
        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            client.register("readings-value", V1);
            client.register("readings-value", V2);
            assertThat(rest(registry, "DELETE", "/subjects/readings-value/versions/1", null))
                    .isEqualTo("1");

            client.register("gone-value", OTHER);
            rest(registry, "DELETE", "/subjects/gone-value", null);

            purgedId = client.register("purged-value", V3);
            rest(registry, "DELETE", "/subjects/purged-value", null);
            rest(registry, "DELETE", "/subjects/purged-value?permanent=true", null);

            // Registering a soft-deleted schema again writes one record for two changes.
            client.register("again-value", V1);
            rest(registry, "DELETE", "/subjects/again-value/versions/1", null);
            try (SchemaRegistryClient fresh = clientFor(registry)) {
                fresh.register("again-value", V1);
            }

            client.register("address-value", ADDRESS);
            orderId =
                    client.register(
                            "order-value",
                            ORDER,
                            List.of(
                                    new SchemaReference(
                                            "dev.substrate.test.Address", "address-value", 1)));

            rest(registry, "PUT", "/mode/imported-value", "{\"mode\":\"IMPORT\"}");
            rest(
                    registry,
                    "POST",
                    "/subjects/imported-value/versions",
                    "{\"schema\":" + quoted(OTHER) + ",\"id\":500,\"version\":7}");
            client.register("frozen-value", V1);
            rest(registry, "PUT", "/mode/frozen-value", "{\"mode\":\"READONLY\"}");
        }

        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            assertThat(client.getVersions("readings-value")).containsExactly(2);
            assertThat(
                            rest(
                                    registry,
                                    "GET",
                                    "/subjects/readings-value/versions?deleted=true",
                                    null))
                    .isEqualTo("[1,2]");
            assertThat(client.getSubjects()).doesNotContain("gone-value", "purged-value");
            assertThat(rest(registry, "GET", "/subjects?deleted=true", null))
                    .contains("gone-value")
                    .doesNotContain("purged-value");
            assertThat(rest(registry, "GET", "/schemas/ids/" + purgedId, null)).contains("40403");
            assertThat(rest(registry, "GET", "/subjects/again-value/versions?deleted=true", null))
                    .isEqualTo("[2]");

            assertThat(client.getSchemaById(orderId)).isEqualTo(ORDER);
            assertThat(
                            rest(
                                    registry,
                                    "GET",
                                    "/subjects/address-value/versions/1/referencedby",
                                    null))
                    .isEqualTo("[" + orderId + "]");

            assertThat(rest(registry, "GET", "/mode/imported-value", null))
                    .isEqualTo("{\"mode\":\"IMPORT\"}");
            assertThat(client.getVersion("imported-value", 7))
                    .isEqualTo(new RegisteredSchema("imported-value", 7, 500, OTHER));
            assertThat(rest(registry, "GET", "/mode/frozen-value", null))
                    .isEqualTo("{\"mode\":\"READONLY\"}");
            assertThat(rest(registry, "DELETE", "/subjects/frozen-value", null)).contains("42205");

            // New ids continue after every id ever assigned, imported or forgotten.
            int next = client.register("new-value", reading("{\"name\":\"n\",\"type\":\"int\"}"));
            assertThat(next).isGreaterThan(500);
        }
    }

    @Test
    void aLogWrittenBeforeDeletesModesAndReferencesExistedStillLoads() throws Exception {
        // Records exactly as the registry wrote them before versions could be deleted one by one.
        Files.createDirectories(stateDir);
        Files.write(
                stateDir.resolve(RegistryLog.FILE_NAME),
                List.of(
                        schemaLine(1, V1),
                        versionLine("readings-value", 1, 1),
                        schemaLine(2, V2),
                        versionLine("readings-value", 2, 2),
                        versionLine("soft-value", 1, 1),
                        deleteSubjectLine("soft-value", false),
                        schemaLine(3, OTHER),
                        versionLine("hard-value", 1, 3),
                        deleteSubjectLine("hard-value", true),
                        configLine(null, "FORWARD"),
                        configLine("readings-value", "FULL")),
                StandardCharsets.UTF_8);

        try (EmbeddedSchemaRegistry registry = start();
                SchemaRegistryClient client = clientFor(registry)) {
            assertThat(client.getSubjects()).containsExactly("readings-value");
            assertThat(rest(registry, "GET", "/subjects?deleted=true", null))
                    .isEqualTo("[\"readings-value\",\"soft-value\"]");
            assertThat(client.getVersions("readings-value")).containsExactly(1, 2);
            assertThat(client.getCompatibility(null)).isEqualTo(CompatibilityLevel.FORWARD);
            assertThat(client.getCompatibility("readings-value"))
                    .isEqualTo(CompatibilityLevel.FULL);
            assertThat(rest(registry, "GET", "/mode", null)).isEqualTo("{\"mode\":\"READWRITE\"}");
            // That registry kept the ids of permanently deleted subjects: data may still use them.
            assertThat(client.getSchemaById(3)).isEqualTo(OTHER);

            assertThat(rest(registry, "DELETE", "/subjects/readings-value/versions/1", null))
                    .isEqualTo("1");
            assertThat(client.register("readings-value", V3)).isEqualTo(4);
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

    /** Sends one request and returns the body of the answer, whatever its status. */
    private static String rest(
            EmbeddedSchemaRegistry registry, String method, String path, String body)
            throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(registry.url() + path))
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String quoted(Schema schema) {
        return JSON.getNodeFactory().textNode(schema.toString()).toString();
    }

    // Log lines in the format of registries before deletes, modes and references.

    private static String schemaLine(int id, Schema schema) {
        return JSON.createObjectNode()
                .put("type", "SCHEMA")
                .put("id", id)
                .put("schema", schema.toString())
                .toString();
    }

    private static String versionLine(String subject, int version, int id) {
        return JSON.createObjectNode()
                .put("type", "VERSION")
                .put("subject", subject)
                .put("version", version)
                .put("id", id)
                .toString();
    }

    private static String deleteSubjectLine(String subject, boolean permanent) {
        return JSON.createObjectNode()
                .put("type", "DELETE_SUBJECT")
                .put("subject", subject)
                .put("permanent", permanent)
                .toString();
    }

    private static String configLine(String subject, String level) {
        return JSON.createObjectNode()
                .put("type", "CONFIG")
                .put("subject", subject)
                .put("level", level)
                .toString();
    }

    private EmbeddedSchemaRegistry start() throws IOException {
        return EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
    }

    private static SchemaRegistryClient clientFor(EmbeddedSchemaRegistry registry) {
        return new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
    }
}
