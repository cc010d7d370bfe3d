package dev.substrate.schemas.registry;

import static dev.substrate.schemas.registry.RegistryTestSupport.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a tiny recording HTTP server: authentication headers, secrets kept out of
 * strings, caching, and which failures are retryable.
 */
class SchemaRegistryClientTest {

    private static final Schema SCHEMA =
            new Schema.Parser()
                    .parse(
                            "{\"type\":\"record\",\"name\":\"Reading\",\"fields\":"
                                    + "[{\"name\":\"id\",\"type\":\"string\"}]}");
    private static final String PASSWORD = "s3cret-Pa55";
    private static final String TOKEN = "tok-1234567890";

    static {
        // Same latency fix the embedded registry applies; whichever JDK server starts first in
        // this JVM fixes the setting for all of them.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private HttpServer server;
    private String url;
    private final List<String> authorizationHeaders = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> requestsByPath = new ConcurrentHashMap<>();

    @BeforeEach
    void startFakeRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/", this::answer);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopFakeRegistry() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        requestsByPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        authorizationHeaders.add(authorization == null ? "(none)" : authorization);
        exchange.getRequestBody().readAllBytes();
        switch (path) {
            case "/schemas/ids/1" -> respond(exchange, 200, "{\"schema\":" + quoted(SCHEMA) + "}");
            case "/subjects/readings-value/versions" -> respond(exchange, 200, "{\"id\":7}");
            case "/subjects" -> respond(exchange, 200, "[\"readings-value\"]");
            case "/schemas/ids/503" ->
                    respond(
                            exchange,
                            503,
                            "{\"error_code\":50003,\"message\":\"Error while forwarding\"}");
            case "/schemas/ids/502" ->
                    respond(exchange, 502, "<html><body>Bad Gateway</body></html>");
            case "/slow" -> {
                try {
                    Thread.sleep(3_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                respond(exchange, 200, "{}");
            }
            default ->
                    respond(
                            exchange,
                            404,
                            "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        }
    }

    @Test
    void sendsBasicAuthAndKeepsThePasswordOutOfStrings() throws Exception {
        SchemaRegistryConfig config =
                SchemaRegistryConfig.of(url).withBasicAuth("alice:" + PASSWORD);
        try (SchemaRegistryClient client = new SchemaRegistryClient(config)) {
            assertThat(client.getSubjects()).containsExactly("readings-value");
            SchemaRegistryException error = failure(() -> client.getSchemaById(503));
            String encoded =
                    Base64.getEncoder()
                            .encodeToString(("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            assertThat(authorizationHeaders).containsOnly("Basic " + encoded);
            assertThat(List.of(config.toString(), client.toString(), error.getMessage()))
                    .allSatisfy(
                            text ->
                                    assertThat(text)
                                            .doesNotContain(PASSWORD)
                                            .doesNotContain(encoded));
            assertThat(config.toString()).contains(url).contains("auth=basic");
        }
    }

    @Test
    void sendsBearerTokenAndKeepsItOutOfStrings() throws Exception {
        SchemaRegistryConfig config = SchemaRegistryConfig.of(url).withBearerToken(TOKEN);
        try (SchemaRegistryClient client = new SchemaRegistryClient(config)) {
            client.getSubjects();
            assertThat(authorizationHeaders).containsExactly("Bearer " + TOKEN);
            assertThat(config.toString()).doesNotContain(TOKEN).contains("auth=bearer");
            assertThat(client.toString()).doesNotContain(TOKEN);
        }
    }

    @Test
    void sendsNoAuthorizationWithoutCredentials() throws Exception {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
            client.getSubjects();
        }
        assertThat(authorizationHeaders).containsExactly("(none)");
    }

    @Test
    void credentialsInTheUrlBecomeBasicAuth() throws Exception {
        int port = server.getAddress().getPort();
        SchemaRegistryConfig config =
                SchemaRegistryConfig.of("http://bob:" + PASSWORD + "@127.0.0.1:" + port + "/");
        assertThat(config.url()).isEqualTo(url);
        assertThat(config.toString()).doesNotContain(PASSWORD).doesNotContain("bob");
        try (SchemaRegistryClient client = new SchemaRegistryClient(config)) {
            client.getSubjects();
        }
        assertThat(authorizationHeaders.get(0)).startsWith("Basic ");
        String decoded =
                new String(
                        Base64.getDecoder().decode(authorizationHeaders.get(0).substring(6)),
                        StandardCharsets.UTF_8);
        assertThat(decoded).isEqualTo("bob:" + PASSWORD);
    }

    @Test
    void credentialsComeFromTheEnvironment() {
        assertThat(
                        SchemaRegistryConfig.fromEnvironment(
                                        url,
                                        Map.of(
                                                SchemaRegistryConfig.ENV_BASIC_AUTH,
                                                "u:" + PASSWORD))
                                .authorizationHeader())
                .startsWith("Basic ");
        assertThat(
                        SchemaRegistryConfig.fromEnvironment(
                                        url, Map.of(SchemaRegistryConfig.ENV_BEARER_TOKEN, TOKEN))
                                .authorizationHeader())
                .isEqualTo("Bearer " + TOKEN);
        assertThat(SchemaRegistryConfig.fromEnvironment(url, Map.of()).authMethod())
                .isEqualTo("none");
        assertThatThrownBy(
                        () ->
                                SchemaRegistryConfig.fromEnvironment(
                                        url,
                                        Map.of(
                                                SchemaRegistryConfig.ENV_BASIC_AUTH,
                                                "u:" + PASSWORD,
                                                SchemaRegistryConfig.ENV_BEARER_TOKEN,
                                                TOKEN)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(PASSWORD)
                .hasMessageNotContaining(TOKEN);
        assertThatThrownBy(() -> SchemaRegistryConfig.of(url).withBasicAuth(PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void rejectsUrlsThatAreNotHttp() {
        assertThatThrownBy(() -> SchemaRegistryConfig.of("ftp://127.0.0.1:21"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SchemaRegistryConfig.of("127.0.0.1:8081"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configSurvivesJavaSerialization() throws Exception {
        SchemaRegistryConfig config =
                SchemaRegistryConfig.of(url)
                        .withBearerToken(TOKEN)
                        .withTimeout(Duration.ofSeconds(3));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(config);
        }
        try (java.io.ObjectInputStream in =
                new java.io.ObjectInputStream(
                        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(config);
        }
    }

    @Test
    void schemaByIdIsFetchedOnce() throws Exception {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
            Schema first = client.getSchemaById(1);
            Schema second = client.getSchemaById(1);
            assertThat(first).isEqualTo(SCHEMA).isSameAs(second);
        }
        assertThat(requestsByPath.get("/schemas/ids/1")).hasValue(1);
    }

    @Test
    void registrationIsCachedAndFillsTheIdCache() throws Exception {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
            assertThat(client.register("readings-value", SCHEMA)).isEqualTo(7);
            assertThat(client.register("readings-value", SCHEMA)).isEqualTo(7);
            assertThat(client.getSchemaById(7)).isEqualTo(SCHEMA);
        }
        assertThat(requestsByPath.get("/subjects/readings-value/versions")).hasValue(1);
        assertThat(requestsByPath).doesNotContainKey("/schemas/ids/7");
    }

    @Test
    void unreachableRegistryIsRetryable() throws Exception {
        int closedPort;
        try (ServerSocket socket =
                new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        SchemaRegistryConfig config =
                SchemaRegistryConfig.of("http://127.0.0.1:" + closedPort)
                        .withBasicAuth("alice:" + PASSWORD)
                        .withTimeout(Duration.ofSeconds(2));
        try (SchemaRegistryClient client = new SchemaRegistryClient(config)) {
            SchemaRegistryException e = failure(() -> client.getSchemaById(1));
            assertThat(e.isRetryable()).isTrue();
            assertThat(e.httpStatus()).isEqualTo(-1);
            assertThat(e.errorCode()).isEqualTo(-1);
            assertThat(e.isNotFound()).isFalse();
            assertThat(e.getMessage())
                    .contains(String.valueOf(closedPort))
                    .doesNotContain(PASSWORD);
        }
    }

    @Test
    void timeoutIsRetryable() throws Exception {
        SchemaRegistryConfig config =
                SchemaRegistryConfig.of(url).withTimeout(Duration.ofMillis(300));
        try (SchemaRegistryClient client = new SchemaRegistryClient(config)) {
            long start = System.nanoTime();
            SchemaRegistryException e = failure(() -> client.send("GET", "/slow", null));
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(e.isRetryable()).isTrue();
            assertThat(e.httpStatus()).isEqualTo(-1);
            assertThat(e.getMessage()).contains("timed out");
        }
    }

    @Test
    void serverErrorsAreRetryableAndClientErrorsAreNot() throws Exception {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
            SchemaRegistryException unavailable = failure(() -> client.getSchemaById(503));
            assertThat(unavailable.httpStatus()).isEqualTo(503);
            assertThat(unavailable.errorCode()).isEqualTo(50003);
            assertThat(unavailable.isRetryable()).isTrue();
            assertThat(unavailable.getMessage()).contains("Error while forwarding");

            SchemaRegistryException gateway = failure(() -> client.getSchemaById(502));
            assertThat(gateway.httpStatus()).isEqualTo(502);
            assertThat(gateway.errorCode()).isEqualTo(-1);
            assertThat(gateway.isRetryable()).isTrue();
            assertThat(gateway.getMessage()).contains("Bad Gateway");

            SchemaRegistryException missing = failure(() -> client.getSchemaById(2));
            assertThat(missing.errorCode()).isEqualTo(40403);
            assertThat(missing.isNotFound()).isTrue();
            assertThat(missing.isRetryable()).isFalse();
        }
        // Failures are not cached: each call asked the registry.
        assertThat(requestsByPath.get("/schemas/ids/503")).hasValue(1);
    }

    @Test
    void subjectsArePercentEncodedInPaths() {
        assertThat(SchemaRegistryClient.encode("team a/gpu+samples?-value"))
                .isEqualTo("team%20a%2Fgpu%2Bsamples%3F-value");
        assertThat(TopicNameStrategy.valueSubject("substrate.gpu-samples"))
                .isEqualTo("substrate.gpu-samples-value");
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", SchemaRegistryClient.CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String quoted(Schema schema) {
        return new com.fasterxml.jackson.databind.ObjectMapper()
                .getNodeFactory()
                .textNode(schema.toString())
                .toString();
    }
}
