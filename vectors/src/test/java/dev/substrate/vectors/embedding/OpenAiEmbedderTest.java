package dev.substrate.vectors.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible client against an HTTP server on 127.0.0.1 that speaks the {@code
 * /v1/embeddings} protocol (vectors derived from each text) and fails on cue: batching, retries
 * with backoff on 429 and 5xx, Retry-After, and the errors that must not be retried.
 */
class OpenAiEmbedderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer server;
    private final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());

    /** Statuses to answer before answering properly, one per request. */
    private final Deque<Integer> failures = new ConcurrentLinkedDeque<>();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/embeddings", this::answer);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        JsonNode request = JSON.readTree(exchange.getRequestBody());
        requests.add(request);
        authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
        Integer failure = failures.poll();
        if (failure != null) {
            if (failure == 429) {
                exchange.getResponseHeaders().add("Retry-After", "0.05");
            }
            respond(exchange, failure, "{\"error\":{\"message\":\"injected " + failure + "\"}}");
            return;
        }
        for (JsonNode input : request.get("input")) {
            if (input.asText().contains("poison")) {
                respond(exchange, 400, "{\"error\":{\"message\":\"input contains poison\"}}");
                return;
            }
        }
        StringBuilder body = new StringBuilder("{\"object\":\"list\",\"data\":[");
        int index = 0;
        for (JsonNode input : request.get("input")) {
            if (index > 0) {
                body.append(',');
            }
            int length = input.asText().length();
            body.append("{\"object\":\"embedding\",\"index\":")
                    .append(index++)
                    .append(",\"embedding\":[")
                    .append(length)
                    .append(".0,1.0,0.5,0.25]}");
        }
        body.append("],\"model\":\"").append(request.get("model").asText()).append("\"}");
        respond(exchange, 200, body.toString());
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private OpenAiEmbedder.Builder embedder() {
        return OpenAiEmbedder.builder()
                .baseUrl("http://127.0.0.1:" + server.getAddress().getPort() + "/v1")
                .model("bge-small")
                .modelVersion("2024-01")
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100));
    }

    @Test
    void textsGoInBatchesAndComeBackInOrderWithTheKeyAsBearerToken() throws Exception {
        try (Embedder embedder = embedder().batchSize(2).apiKey("sk-test").build()) {
            List<float[]> vectors = embedder.embed(List.of("a", "bb", "ccc", "dddd", "eeeee"));

            assertThat(vectors).extracting(v -> v[0]).containsExactly(1f, 2f, 3f, 4f, 5f);
            assertThat(requests).hasSize(3);
            assertThat(requests.get(0).get("input")).hasSize(2);
            assertThat(requests.get(0).get("model").asText()).isEqualTo("bge-small");
            assertThat(authorizations).containsOnly("Bearer sk-test");
            assertThat(embedder.model()).isEqualTo("bge-small@2024-01");
            assertThat(embedder.dimensions()).isEqualTo(4);
        }
    }

    @Test
    void rateLimitsAndServerErrorsAreRetriedWithBackoff() throws Exception {
        failures.addAll(List.of(429, 503, 502));
        try (Embedder embedder = embedder().maxAttempts(4).build()) {
            assertThat(embedder.embed(List.of("hello"))).hasSize(1);
        }
        assertThat(requests).hasSize(4);
    }

    @Test
    void anEndpointThatKeepsFailingGivesUpWithTheLastProblem() {
        failures.addAll(List.of(503, 503, 503));
        try (Embedder embedder = embedder().maxAttempts(3).build()) {
            assertThatThrownBy(() -> embedder.embed(List.of("hello")))
                    .isInstanceOf(EmbeddingException.class)
                    .hasMessageContaining("failed 3 attempts")
                    .hasMessageContaining("HTTP 503: injected 503")
                    .matches(e -> !((EmbeddingException) e).isPerText());
        }
        assertThat(requests).hasSize(3);
    }

    @Test
    void aRefusedKeyIsNotRetriedAndNamesWhereTheKeyComesFrom() {
        failures.add(401);
        try (Embedder embedder = embedder().apiKey("wrong").build()) {
            assertThatThrownBy(() -> embedder.embed(List.of("hello")))
                    .hasMessageContaining("HTTP 401")
                    .hasMessageContaining(EmbedderConfig.API_KEY_ENV)
                    .hasMessageNotContaining("wrong");
        }
        assertThat(requests).hasSize(1);
    }

    @Test
    void aTextTheEndpointRefusesFailsAloneAndTheRestOfItsBatchIsEmbedded() {
        try (Embedder embedder = embedder().batchSize(8).build()) {
            List<BatchEmbedding.Outcome> outcomes =
                    BatchEmbedding.embedEach(
                            embedder, List.of("fine", "also fine", "poison pill", "still fine"));
            assertThat(outcomes)
                    .extracting(BatchEmbedding.Outcome::ok)
                    .containsExactly(true, true, false, true);
            assertThat(outcomes.get(2).failure()).contains("HTTP 400: input contains poison");
        }
    }

    @Test
    void anUnreachableEndpointFailsEveryTextOfTheBatchAtOnce() {
        server.stop(0);
        try (Embedder embedder =
                embedder().maxAttempts(2).requestTimeout(Duration.ofSeconds(2)).build()) {
            List<BatchEmbedding.Outcome> outcomes =
                    BatchEmbedding.embedEach(embedder, List.of("a", "b", "c"));
            assertThat(outcomes).noneMatch(BatchEmbedding.Outcome::ok);
            assertThat(outcomes.get(0).failure())
                    .contains("failed 2 attempts")
                    .contains("ConnectException");
        }
    }

    @Test
    void aBadUrlIsRefusedWhenBuilt() {
        assertThatThrownBy(() -> OpenAiEmbedder.builder().baseUrl("ftp://x").model("m").build())
                .hasMessageContaining("Bad embeddings URL 'ftp://x'");
    }
}
