package dev.substrate.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies over the registry's limit are refused with 413 and a JSON error that names the
 * limit and how to raise it, whether or not the client declared the length, and the registry keeps
 * serving.
 */
class RequestSizeLimitTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir Path stateDir;

    @Test
    void aThirteenMegabyteSchemaIsRefusedWith413ByDefault() throws Exception {
        try (EmbeddedSchemaRegistry registry =
                EmbeddedSchemaRegistry.builder().stateDir(stateDir).start()) {
            assertThat(registry.maxRequestBytes())
                    .isEqualTo(EmbeddedSchemaRegistry.DEFAULT_MAX_REQUEST_BYTES);
            byte[] body = registerBody(schemaTextWithDoc(13 << 20));

            HttpResponse<String> response =
                    post(registry, HttpRequest.BodyPublishers.ofByteArray(body));

            assertThat(response.statusCode()).isEqualTo(413);
            JsonNode error = JSON.readTree(response.body());
            assertThat(error.get("error_code").asInt()).isEqualTo(413);
            assertThat(error.get("message").asText())
                    .contains("1048576 bytes")
                    .contains(EmbeddedSchemaRegistry.MAX_REQUEST_BYTES_PROPERTY)
                    .contains("maxRequestBytes");
            assertThat(registeredSubjects(registry)).isEmpty();
        }
    }

    @Test
    void aBodyWithoutDeclaredLengthIsCutOffAtTheLimit() throws Exception {
        try (EmbeddedSchemaRegistry registry =
                EmbeddedSchemaRegistry.builder().stateDir(stateDir).maxRequestBytes(4096).start()) {
            byte[] body = registerBody(schemaTextWithDoc(64 * 1024));
            // An input-stream publisher has no known length: the body goes chunked.
            HttpResponse<String> response =
                    post(
                            registry,
                            HttpRequest.BodyPublishers.ofInputStream(
                                    () -> new ByteArrayInputStream(body)));

            assertThat(response.statusCode()).isEqualTo(413);
            assertThat(JSON.readTree(response.body()).get("message").asText())
                    .contains("4096 bytes");
        }
    }

    @Test
    void bodiesWithinTheLimitAreServedAndTheRegistryKeepsServingAfterARefusal() throws Exception {
        try (EmbeddedSchemaRegistry registry =
                        EmbeddedSchemaRegistry.builder()
                                .stateDir(stateDir)
                                .maxRequestBytes(4096)
                                .start();
                SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            assertThat(
                            post(
                                            registry,
                                            HttpRequest.BodyPublishers.ofByteArray(
                                                    registerBody(schemaTextWithDoc(8192))))
                                    .statusCode())
                    .isEqualTo(413);

            Schema small = recordWithDoc(3000);
            assertThat(registerBody(small.toString()).length).isLessThan(4096);
            int id = client.register("limits-value", small);
            assertThat(client.getSchemaById(id)).isEqualTo(small);
        }
    }

    @Test
    void aLimitTooSmallToServeAnythingIsRefusedAtStart() {
        assertThatThrownBy(
                        () ->
                                EmbeddedSchemaRegistry.builder()
                                        .stateDir(stateDir)
                                        .maxRequestBytes(10)
                                        .start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1024 bytes");
    }

    @Test
    void theDefaultLimitComesFromTheSystemPropertyWhenSet() throws Exception {
        String property = EmbeddedSchemaRegistry.MAX_REQUEST_BYTES_PROPERTY;
        try {
            System.setProperty(property, "2048");
            try (EmbeddedSchemaRegistry registry =
                    EmbeddedSchemaRegistry.builder().stateDir(stateDir).start()) {
                assertThat(registry.maxRequestBytes()).isEqualTo(2048);
            }
            System.setProperty(property, "4MB");
            assertThatThrownBy(EmbeddedSchemaRegistry::builder)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(property)
                    .hasMessageContaining("4MB");
        } finally {
            System.clearProperty(property);
        }
    }

    private static HttpResponse<String> post(
            EmbeddedSchemaRegistry registry, HttpRequest.BodyPublisher body) throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(registry.url() + "/subjects/big-value/versions"))
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .POST(body)
                        .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode registeredSubjects(EmbeddedSchemaRegistry registry) throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(registry.url() + "/subjects")).build();
        return JSON.readTree(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body());
    }

    private static byte[] registerBody(String schema) {
        return JSON.createObjectNode()
                .put("schema", schema)
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A valid record schema of about {@code size} characters, most of them in its doc. */
    private static String schemaTextWithDoc(int size) {
        return "{\"type\":\"record\",\"name\":\"Big\",\"doc\":\""
                + "x".repeat(size)
                + "\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}";
    }

    private static Schema recordWithDoc(int size) {
        return new Schema.Parser().parse(schemaTextWithDoc(size));
    }
}
