package dev.substrate.schemas.registry;

import static dev.substrate.schemas.registry.RegistryTestSupport.failure;
import static dev.substrate.schemas.registry.RegistryTestSupport.reading;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded registry answers with Confluent's status and error codes, and the client maps them
 * to {@link SchemaRegistryException}s callers can act on.
 */
class RegistryErrorCodesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema V1 = reading("{\"name\":\"id\",\"type\":\"string\"}");
    private static final Schema V2_WITH_DEFAULT =
            reading(
                    "{\"name\":\"id\",\"type\":\"string\"}",
                    "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}");
    private static final Schema V2_NO_DEFAULT =
            reading(
                    "{\"name\":\"id\",\"type\":\"string\"}",
                    "{\"name\":\"note\",\"type\":\"string\"}");

    @TempDir static Path stateDir;
    private static EmbeddedSchemaRegistry registry;
    private static SchemaRegistryClient client;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
        client.register("known-value", V1);
    }

    @AfterAll
    static void stopRegistry() {
        client.close();
        registry.close();
    }

    @Test
    void unknownSubjectIs40401() {
        SchemaRegistryException e = failure(() -> client.getLatest("unknown-value"));
        assertThat(e.httpStatus()).isEqualTo(404);
        assertThat(e.errorCode()).isEqualTo(40401);
        assertThat(e.isNotFound()).isTrue();
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("unknown-value");

        assertThat(failure(() -> client.getVersions("unknown-value")).errorCode()).isEqualTo(40401);
        assertThat(failure(() -> client.getId("unknown-value", V1)).errorCode()).isEqualTo(40401);
    }

    @Test
    void unknownVersionIs40402() {
        SchemaRegistryException e = failure(() -> client.getVersion("known-value", 99));
        assertThat(e.httpStatus()).isEqualTo(404);
        assertThat(e.errorCode()).isEqualTo(40402);
        assertThat(e.isNotFound()).isTrue();
    }

    @Test
    void unknownIdIs40403() {
        SchemaRegistryException e = failure(() -> client.getSchemaById(987_654));
        assertThat(e.httpStatus()).isEqualTo(404);
        assertThat(e.errorCode()).isEqualTo(40403);
        assertThat(e.isNotFound()).isTrue();
        // A schema not registered under an existing subject is also 40403.
        assertThat(failure(() -> client.getId("known-value", V2_NO_DEFAULT)).errorCode())
                .isEqualTo(40403);
    }

    @Test
    void invalidSchemaIs42201() {
        // Parsed without default validation, so the client can send what the registry refuses.
        Schema badDefault =
                new Schema.Parser()
                        .setValidateDefaults(false)
                        .parse(
                                "{\"type\":\"record\",\"name\":\"Bad\",\"fields\":[{\"name\":\"n\","
                                        + "\"type\":\"int\",\"default\":\"not a number\"}]}");
        SchemaRegistryException e = failure(() -> client.register("bad-value", badDefault));
        assertThat(e.httpStatus()).isEqualTo(422);
        assertThat(e.errorCode()).isEqualTo(42201);

        ObjectNode notAvro =
                JSON.createObjectNode()
                        .put("schemaType", "PROTOBUF")
                        .put("schema", "syntax = \"proto3\"; message M {}");
        SchemaRegistryException protobuf =
                failure(() -> client.send("POST", "/subjects/proto-value/versions", notAvro));
        assertThat(protobuf.errorCode()).isEqualTo(42201);
        assertThat(protobuf.getMessage()).contains("PROTOBUF").contains("AVRO");

        ObjectNode unparsable = JSON.createObjectNode().put("schema", "{\"type\":\"recrod\"}");
        assertThat(
                        failure(() -> client.send("POST", "/subjects/x-value/versions", unparsable))
                                .errorCode())
                .isEqualTo(42201);
    }

    @Test
    void invalidVersionIs42202() {
        assertThat(failure(() -> client.getVersion("known-value", 0)).errorCode()).isEqualTo(42202);
        assertThat(
                        failure(
                                        () ->
                                                client.send(
                                                        "GET",
                                                        "/subjects/known-value/versions/two",
                                                        null))
                                .errorCode())
                .isEqualTo(42202);
    }

    @Test
    void invalidCompatibilityLevelIs42203() {
        ObjectNode body = JSON.createObjectNode().put("compatibility", "SIDEWAYS");
        SchemaRegistryException global = failure(() -> client.send("PUT", "/config", body));
        assertThat(global.httpStatus()).isEqualTo(422);
        assertThat(global.errorCode()).isEqualTo(42203);
        assertThat(failure(() -> client.send("PUT", "/config/known-value", body)).errorCode())
                .isEqualTo(42203);
    }

    @Test
    void incompatibleSchemaIs409WithTheCheckersMessage() {
        SchemaRegistryException e = failure(() -> client.register("known-value", V2_NO_DEFAULT));
        assertThat(e.httpStatus()).isEqualTo(409);
        assertThat(e.errorCode()).isEqualTo(409);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.isNotFound()).isFalse();
        assertThat(e.getMessage()).contains("READER_FIELD_MISSING_DEFAULT_VALUE").contains("note");
    }

    @Test
    void subjectLevelWithoutDefaultToGlobalIs40408() {
        assertThat(failure(() -> client.send("GET", "/config/known-value", null)).errorCode())
                .isEqualTo(40408);
    }

    @Test
    void unknownEndpointIs404() {
        SchemaRegistryException e = failure(() -> client.send("GET", "/no/such/endpoint", null));
        assertThat(e.httpStatus()).isEqualTo(404);
        assertThat(e.isRetryable()).isFalse();
        assertThat(failure(() -> client.send("PUT", "/subjects", null)).httpStatus())
                .isEqualTo(405);
    }

    @Test
    void subjectsWithReservedCharactersRoundTrip() throws Exception {
        String subject = "team a/gpu+samples?-value";
        int id = client.register(subject, V1);
        assertThat(client.getSubjects()).contains(subject);
        assertThat(client.getLatest(subject)).isEqualTo(new RegisteredSchema(subject, 1, id, V1));
        assertThat(client.getCompatibility(subject)).isEqualTo(CompatibilityLevel.BACKWARD);
    }

    @Test
    void softDeletedSubjectDisappearsAndCanBeRegisteredAgain() throws Exception {
        int id = client.register("deleted-value", V1);
        assertThat(client.send("DELETE", "/subjects/deleted-value", null).toString())
                .isEqualTo("[1]");
        assertThat(client.getSubjects()).doesNotContain("deleted-value");
        assertThat(failure(() -> client.getLatest("deleted-value")).errorCode()).isEqualTo(40401);
        // The id stays readable: data written with it must still decode.
        assertThat(client.getSchemaById(id)).isEqualTo(V1);

        try (SchemaRegistryClient fresh =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            assertThat(fresh.register("deleted-value", V1)).isEqualTo(id);
            assertThat(fresh.getVersions("deleted-value")).containsExactly(2);
        }
    }

    @Test
    void subjectDeleteIsSoftFirstThenPermanentWithConfluentsCodes() throws Exception {
        int id = client.register("lifecycle-value", V1);

        SchemaRegistryException notSoftDeleted =
                failure(
                        () ->
                                client.send(
                                        "DELETE",
                                        "/subjects/lifecycle-value?permanent=true",
                                        null));
        assertThat(notSoftDeleted.httpStatus()).isEqualTo(404);
        assertThat(notSoftDeleted.errorCode()).isEqualTo(40405);
        assertThat(notSoftDeleted.getMessage()).contains("lifecycle-value");
        assertThat(client.getVersions("lifecycle-value")).containsExactly(1);

        assertThat(client.send("DELETE", "/subjects/lifecycle-value", null).toString())
                .isEqualTo("[1]");
        assertThat(
                        failure(() -> client.send("DELETE", "/subjects/lifecycle-value", null))
                                .errorCode())
                .isEqualTo(40404);
        assertThat(client.getSubjects()).doesNotContain("lifecycle-value");
        assertThat(strings(client.send("GET", "/subjects?deleted=true", null)))
                .contains("lifecycle-value");
        assertThat(strings(client.send("GET", "/subjects?deletedOnly=true", null)))
                .contains("lifecycle-value")
                .doesNotContain("known-value");
        assertThat(failure(() -> client.getVersions("lifecycle-value")).errorCode())
                .isEqualTo(40401);
        assertThat(
                        client.send("GET", "/subjects/lifecycle-value/versions?deleted=true", null)
                                .toString())
                .isEqualTo("[1]");
        assertThat(
                        client.send(
                                        "GET",
                                        "/subjects/lifecycle-value/versions/1?deleted=true",
                                        null)
                                .get("id")
                                .asInt())
                .isEqualTo(id);
        assertThat(
                        client.send("POST", "/subjects/lifecycle-value?deleted=true", body(V1))
                                .get("id")
                                .asInt())
                .isEqualTo(id);
        assertThat(
                        failure(() -> client.send("POST", "/subjects/lifecycle-value", body(V1)))
                                .errorCode())
                .isEqualTo(40401);

        assertThat(
                        client.send("DELETE", "/subjects/lifecycle-value?permanent=true", null)
                                .toString())
                .isEqualTo("[1]");
        assertThat(strings(client.send("GET", "/subjects?deleted=true", null)))
                .doesNotContain("lifecycle-value");
        assertThat(
                        failure(
                                        () ->
                                                client.send(
                                                        "DELETE",
                                                        "/subjects/lifecycle-value?permanent=true",
                                                        null))
                                .errorCode())
                .isEqualTo(40401);
    }

    @Test
    void versionDeleteIsSoftFirstThenPermanentWithConfluentsCodes() throws Exception {
        client.register("versioned-value", V1);
        client.register("versioned-value", V2_WITH_DEFAULT);
        String v1 = "/subjects/versioned-value/versions/1";

        SchemaRegistryException notSoftDeleted =
                failure(() -> client.send("DELETE", v1 + "?permanent=true", null));
        assertThat(notSoftDeleted.httpStatus()).isEqualTo(404);
        assertThat(notSoftDeleted.errorCode()).isEqualTo(40407);

        assertThat(client.send("DELETE", v1, null).asInt()).isEqualTo(1);
        SchemaRegistryException softDeleted = failure(() -> client.send("DELETE", v1, null));
        assertThat(softDeleted.httpStatus()).isEqualTo(404);
        assertThat(softDeleted.errorCode()).isEqualTo(40406);

        assertThat(client.getVersions("versioned-value")).containsExactly(2);
        assertThat(
                        client.send("GET", "/subjects/versioned-value/versions?deleted=true", null)
                                .toString())
                .isEqualTo("[1,2]");
        assertThat(
                        client.send(
                                        "GET",
                                        "/subjects/versioned-value/versions?deletedOnly=true",
                                        null)
                                .toString())
                .isEqualTo("[1]");
        assertThat(failure(() -> client.getVersion("versioned-value", 1)).errorCode())
                .isEqualTo(40402);
        assertThat(client.send("GET", v1 + "?deleted=true", null).get("version").asInt())
                .isEqualTo(1);
        assertThat(
                        failure(
                                        () ->
                                                client.send(
                                                        "DELETE",
                                                        "/subjects/versioned-value/versions/9",
                                                        null))
                                .errorCode())
                .isEqualTo(40402);
        assertThat(
                        failure(
                                        () ->
                                                client.send(
                                                        "DELETE",
                                                        "/subjects/no-such-value/versions/1",
                                                        null))
                                .errorCode())
                .isEqualTo(40401);
        assertThat(
                        failure(
                                        () ->
                                                client.send(
                                                        "DELETE",
                                                        "/subjects/versioned-value/versions/0",
                                                        null))
                                .errorCode())
                .isEqualTo(42202);

        assertThat(client.send("DELETE", v1 + "?permanent=true", null).asInt()).isEqualTo(1);
        assertThat(
                        client.send("GET", "/subjects/versioned-value/versions?deleted=true", null)
                                .toString())
                .isEqualTo("[2]");
        assertThat(client.send("DELETE", "/subjects/versioned-value/versions/latest", null).asInt())
                .isEqualTo(2);
        assertThat(failure(() -> client.getLatest("versioned-value")).errorCode()).isEqualTo(40401);
    }

    @Test
    void permanentlyDeletedSchemaIdsAreForgottenAndNeverReused() throws Exception {
        Schema only = reading("{\"name\":\"purged\",\"type\":\"int\"}");
        int id = client.register("purged-value", only);
        client.send("DELETE", "/subjects/purged-value", null);
        // Soft-deleted: the id still serves, so data written with it still decodes.
        assertThat(client.send("GET", "/schemas/ids/" + id, null).get("schema").asText())
                .isEqualTo(only.toString());

        client.send("DELETE", "/subjects/purged-value?permanent=true", null);
        assertThat(failure(() -> client.send("GET", "/schemas/ids/" + id, null)).errorCode())
                .isEqualTo(40403);
        try (SchemaRegistryClient fresh =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            assertThat(fresh.register("purged-value", only)).isGreaterThan(id);
            assertThat(fresh.getVersions("purged-value")).containsExactly(1);
        }
    }

    @Test
    void schemaIdsListTheSubjectsAndVersionsUsingThem() throws Exception {
        Schema shared = reading("{\"name\":\"shared\",\"type\":\"long\"}");
        int id = client.register("left-value", shared);
        assertThat(client.register("right-value", shared)).isEqualTo(id);

        assertThat(strings(client.send("GET", "/schemas/ids/" + id + "/subjects", null)))
                .containsExactly("left-value", "right-value");
        assertThat(client.send("GET", "/schemas/ids/" + id + "/versions", null).toString())
                .isEqualTo(
                        "[{\"subject\":\"left-value\",\"version\":1},"
                                + "{\"subject\":\"right-value\",\"version\":1}]");

        client.send("DELETE", "/subjects/left-value", null);
        assertThat(strings(client.send("GET", "/schemas/ids/" + id + "/subjects", null)))
                .containsExactly("right-value");
        assertThat(
                        strings(
                                client.send(
                                        "GET",
                                        "/schemas/ids/" + id + "/subjects?deleted=true",
                                        null)))
                .containsExactly("left-value", "right-value");
        assertThat(client.send("GET", "/schemas/ids/" + id + "/versions?deleted=true", null).size())
                .isEqualTo(2);

        assertThat(
                        failure(() -> client.send("GET", "/schemas/ids/987654/subjects", null))
                                .errorCode())
                .isEqualTo(40403);
        assertThat(
                        failure(() -> client.send("GET", "/schemas/ids/987654/versions", null))
                                .errorCode())
                .isEqualTo(40403);
    }

    @Test
    void registeringASoftDeletedSchemaAgainKeepsItsIdAndDropsTheOldVersion() throws Exception {
        Schema again = reading("{\"name\":\"again\",\"type\":\"string\"}");
        int id = client.register("again-value", again);
        client.send("DELETE", "/subjects/again-value/versions/1", null);
        try (SchemaRegistryClient fresh =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            assertThat(fresh.register("again-value", again)).isEqualTo(id);
        }
        // As in Confluent, the soft-deleted version 1 of the same schema is gone for good.
        assertThat(
                        client.send("GET", "/subjects/again-value/versions?deleted=true", null)
                                .toString())
                .isEqualTo("[2]");
    }

    @Test
    void rawSchemaAndVersionCompatibilityEndpointsAnswer() throws Exception {
        assertThat(
                        new Schema.Parser()
                                .parse(
                                        client.send(
                                                        "GET",
                                                        "/subjects/known-value/versions/1/schema",
                                                        null)
                                                .toString()))
                .isEqualTo(V1);
        ObjectNode body = JSON.createObjectNode().put("schema", V2_NO_DEFAULT.toString());
        assertThat(
                        client.send("POST", "/compatibility/subjects/known-value/versions/1", body)
                                .get("is_compatible")
                                .asBoolean())
                .isFalse();
        assertThat(
                        failure(
                                        () ->
                                                client.send(
                                                        "POST",
                                                        "/compatibility/subjects/known-value/versions/9",
                                                        body))
                                .errorCode())
                .isEqualTo(40402);
    }

    @Test
    void typesAndRootEndpointsAnswer() throws Exception {
        assertThat(client.send("GET", "/schemas/types", null).toString()).isEqualTo("[\"AVRO\"]");
        assertThat(client.send("GET", "/", null).isObject()).isTrue();
    }

    private static ObjectNode body(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asText()));
        return values;
    }
}
