package dev.substrate.schemas.registry;

import static dev.substrate.schemas.registry.RegistryTestSupport.failure;
import static dev.substrate.schemas.registry.RegistryTestSupport.reading;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded registry's {@code /mode} resource behaves as Confluent's: READWRITE by default,
 * READONLY refuses every write with 42205, and IMPORT registers schemas under the ids and versions
 * a migration tool gives, once the subject (or registry) holds no live versions.
 */
class RegistryModeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema V1 = reading("{\"name\":\"id\",\"type\":\"string\"}");
    private static final Schema V2 =
            reading(
                    "{\"name\":\"id\",\"type\":\"string\"}",
                    "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}");
    private static final Schema INCOMPATIBLE = reading("{\"name\":\"id\",\"type\":\"int\"}");

    @TempDir Path stateDir;
    private EmbeddedSchemaRegistry registry;
    private SchemaRegistryClient client;

    @BeforeEach
    void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
    }

    @AfterEach
    void stopRegistry() {
        client.close();
        registry.close();
    }

    @Test
    void readWriteIsTheDefaultAndSubjectModesFallBackToItOnlyWhenAsked() throws Exception {
        assertThat(client.send("GET", "/mode", null).get("mode").asText()).isEqualTo("READWRITE");
        SchemaRegistryException notConfigured =
                failure(() -> client.send("GET", "/mode/orders-value", null));
        assertThat(notConfigured.httpStatus()).isEqualTo(404);
        assertThat(notConfigured.errorCode()).isEqualTo(40409);
        assertThat(mode("/mode/orders-value?defaultToGlobal=true")).isEqualTo("READWRITE");

        assertThat(client.send("PUT", "/mode/orders-value", modeBody("READONLY")).toString())
                .isEqualTo("{\"mode\":\"READONLY\"}");
        assertThat(mode("/mode/orders-value")).isEqualTo("READONLY");
        assertThat(mode("/mode")).isEqualTo("READWRITE");

        assertThat(mode("DELETE", "/mode/orders-value")).isEqualTo("READONLY");
        assertThat(failure(() -> client.send("GET", "/mode/orders-value", null)).errorCode())
                .isEqualTo(40409);
        assertThat(failure(() -> client.send("DELETE", "/mode/orders-value", null)).errorCode())
                .isEqualTo(40401);
    }

    @Test
    void anUnknownModeIs42204() {
        SchemaRegistryException e =
                failure(() -> client.send("PUT", "/mode", modeBody("SIDEWAYS")));
        assertThat(e.httpStatus()).isEqualTo(422);
        assertThat(e.errorCode()).isEqualTo(42204);
        assertThat(e.getMessage()).contains("SIDEWAYS").contains("READWRITE");
        assertThat(
                        failure(() -> client.send("PUT", "/mode/x-value", JSON.createObjectNode()))
                                .errorCode())
                .isEqualTo(42204);
    }

    @Test
    void readOnlyRefusesEveryWriteWith42205ButServesReads() throws Exception {
        int id = client.register("orders-value", V1);
        client.send("PUT", "/mode", modeBody("READONLY"));

        try (SchemaRegistryClient fresh =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            SchemaRegistryException register = failure(() -> fresh.register("orders-value", V2));
            assertThat(register.httpStatus()).isEqualTo(422);
            assertThat(register.errorCode()).isEqualTo(42205);
            assertThat(register.getMessage()).contains("read-only");
            assertThat(failure(() -> fresh.register("new-value", V1)).errorCode()).isEqualTo(42205);
            assertThat(
                            failure(() -> fresh.send("DELETE", "/subjects/orders-value", null))
                                    .errorCode())
                    .isEqualTo(42205);
            assertThat(
                            failure(
                                            () ->
                                                    fresh.send(
                                                            "DELETE",
                                                            "/subjects/orders-value/versions/1",
                                                            null))
                                    .errorCode())
                    .isEqualTo(42205);
            assertThat(
                            failure(
                                            () ->
                                                    fresh.setCompatibility(
                                                            "orders-value",
                                                            CompatibilityLevel.NONE))
                                    .errorCode())
                    .isEqualTo(42205);

            assertThat(fresh.getSchemaById(id)).isEqualTo(V1);
            assertThat(fresh.getId("orders-value", V1)).isEqualTo(id);
            assertThat(fresh.testCompatibility("orders-value", V2).compatible()).isTrue();
        }

        client.send("PUT", "/mode", modeBody("READWRITE"));
        assertThat(client.register("orders-value", V2)).isGreaterThan(id);
    }

    @Test
    void importRegistersUnderTheGivenIdAndVersionAndNewIdsFollowIt() throws Exception {
        client.send("PUT", "/mode", modeBody("IMPORT"));

        SchemaRegistryException withoutId = failure(() -> client.register("orders-value", V1));
        assertThat(withoutId.errorCode()).isEqualTo(42205);
        assertThat(withoutId.getMessage()).contains("IMPORT");

        assertThat(importSchema("orders-value", V1, 100, 3).get("id").asInt()).isEqualTo(100);
        // A retried import is answered with the same id, not a second version.
        assertThat(importSchema("orders-value", V1, 100, 3).get("id").asInt()).isEqualTo(100);
        // IMPORT skips compatibility checks: the source registry already made them.
        assertThat(importSchema("orders-value", INCOMPATIBLE, 101, 4).get("id").asInt())
                .isEqualTo(101);
        assertThat(client.getVersions("orders-value")).containsExactly(3, 4);
        assertThat(client.getVersion("orders-value", 3))
                .isEqualTo(new RegisteredSchema("orders-value", 3, 100, V1));

        SchemaRegistryException overwrite = failure(() -> importSchema("other-value", V2, 100, 1));
        assertThat(overwrite.errorCode()).isEqualTo(42205);
        assertThat(overwrite.getMessage()).contains("100");
        SchemaRegistryException versionTaken =
                failure(() -> importSchema("orders-value", V2, 102, 3));
        assertThat(versionTaken.errorCode()).isEqualTo(42205);

        client.send("PUT", "/mode", modeBody("READWRITE"));
        SchemaRegistryException idOutsideImport =
                failure(() -> importSchema("orders-value", V2, 103, 0));
        assertThat(idOutsideImport.errorCode()).isEqualTo(42205);
        assertThat(idOutsideImport.getMessage()).contains("import mode");

        client.setCompatibility("orders-value", CompatibilityLevel.NONE);
        int next = client.register("orders-value", V2);
        assertThat(next).isGreaterThan(101);
        assertThat(client.getLatest("orders-value").version()).isEqualTo(5);
    }

    @Test
    void importNeedsAnEmptySubjectUnlessForcedAndDropsSoftDeletedVersions() throws Exception {
        client.register("live-value", V1);
        client.register("gone-value", V1);
        client.send("DELETE", "/subjects/gone-value", null);

        SchemaRegistryException globally =
                failure(() -> client.send("PUT", "/mode", modeBody("IMPORT")));
        assertThat(globally.errorCode()).isEqualTo(42205);
        assertThat(globally.getMessage()).contains("live-value").doesNotContain("gone-value");
        assertThat(
                        failure(() -> client.send("PUT", "/mode/live-value", modeBody("IMPORT")))
                                .errorCode())
                .isEqualTo(42205);
        assertThat(mode("/mode")).isEqualTo("READWRITE");

        client.send("PUT", "/mode/gone-value", modeBody("IMPORT"));
        assertThat(mode("/mode/gone-value")).isEqualTo("IMPORT");
        // Its soft-deleted version is gone for good, so imported versions cannot collide.
        assertThat(
                        failure(
                                        () ->
                                                client.send(
                                                        "GET",
                                                        "/subjects/gone-value/versions?deleted=true",
                                                        null))
                                .errorCode())
                .isEqualTo(40401);
        assertThat(importSchema("gone-value", V2, 50, 1).get("id").asInt()).isEqualTo(50);

        client.send("PUT", "/mode/live-value?force=true", modeBody("IMPORT"));
        assertThat(mode("/mode/live-value")).isEqualTo("IMPORT");
        assertThat(client.getVersions("live-value")).containsExactly(1);
    }

    private JsonNode importSchema(String subject, Schema schema, int id, int version)
            throws SchemaRegistryException {
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString()).put("id", id);
        if (version > 0) {
            body.put("version", version);
        }
        return client.send("POST", "/subjects/" + subject + "/versions", body);
    }

    private String mode(String path) throws SchemaRegistryException {
        return mode("GET", path);
    }

    private String mode(String method, String path) throws SchemaRegistryException {
        return client.send(method, path, null).get("mode").asText();
    }

    private static ObjectNode modeBody(String mode) {
        return JSON.createObjectNode().put("mode", mode);
    }
}
