package dev.substrate.vectors.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.LazyVectorSearch;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.EmbedderConfig;
import dev.substrate.vectors.store.LuceneVectorStore;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/search} served by Jetty on 127.0.0.1, over a real index and the real MiniLM model,
 * asked by an HTTP client as an agent would: answers with lineage and "complete up to", errors a
 * caller can act on, an index that appears after the server started, and the bind rules.
 */
class SearchHttpServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

    @TempDir Path dir;
    private LazyVectorSearch search;
    private SearchHttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        search =
                new LazyVectorSearch(
                        VectorStoreConfig.lucene(dir.resolve("index")),
                        EmbedderConfig.miniLm(dir.resolve("work")),
                        Map.of());
        server = SearchHttpServer.builder().api(new SearchApi(search)).port(0).build().start();
    }

    @AfterEach
    void stop() {
        server.close();
        search.close();
    }

    @Test
    void agentsGetRankedDocumentsWithLineageAndHowCompleteTheIndexIs() throws Exception {
        assertThat(server.url().toString()).startsWith("http://127.0.0.1:").endsWith("/api/search");
        Response before = get("q=gpu");
        assertThat(before.status()).isEqualTo(503);
        assertThat(before.json().get("error").asText()).contains("No vector index at");

        index();
        Response answer = get("q=" + encode("graphics card dropped off the PCIe bus") + "&k=2");
        assertThat(answer.status()).isEqualTo(200);
        JsonNode json = answer.json();
        assertThat(json.get("mode").asText()).isEqualTo("hybrid");
        assertThat(json.get("complete_up_to").asText()).isEqualTo(T.toString());
        assertThat(json.get("documents").asLong()).isEqualTo(3);
        assertThat(json.get("hits")).hasSize(2);
        JsonNode top = json.get("hits").get(0);
        assertThat(top.get("id").asText()).isEqualTo("nh-1");
        assertThat(top.get("lineage").get("table").asText()).isEqualTo("node_health");
        assertThat(top.get("lineage").get("row").asText()).isEqualTo("node = 'n7'");
        assertThat(top.get("metadata").get("cluster").asText()).isEqualTo("h100-a");
        assertThat(top.get("knn_rank").asInt()).isEqualTo(1);

        Response filtered = get("q=invoice&mode=bm25&filter=kind%3Derp-event");
        assertThat(filtered.json().get("hits"))
                .extracting(h -> h.get("id").asText())
                .containsExactly("erp-1");
        assertThat(filtered.json().get("query_model").isNull()).isTrue();
    }

    @Test
    void badRequestsAreRefusedWithWhatToFix() throws Exception {
        index();
        assertThat(get("").status()).isEqualTo(400);
        assertThat(get("").json().get("error").asText()).contains("Missing query");
        assertThat(get("q=x&filter=kind").json().get("error").asText())
                .contains("expected key=value");
        assertThat(get("q=x&filter=colour%3Dred").json().get("error").asText())
                .contains("Unknown filter key 'colour'");
        assertThat(get("q=x&mode=fuzzy").json().get("error").asText())
                .contains("Unknown search mode 'fuzzy': use one of knn, bm25, hybrid");
        assertThat(get("q=x&k=lots").status()).isEqualTo(400);
        assertThat(get("q=x&k=0").json().get("error").asText())
                .contains("k must be between 1 and 1000");
        HttpResponse<String> post =
                http.send(
                        HttpRequest.newBuilder(server.url())
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        HttpResponse<String> other =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + server.port() + "/other"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
    }

    @Test
    void anyAddressButLoopbackNeedsAToken() throws Exception {
        assertThatThrownBy(
                        () ->
                                SearchHttpServer.builder()
                                        .api(new SearchApi(search))
                                        .host("0.0.0.0")
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("without a token")
                .hasMessageContaining(SearchHttpServer.TOKEN_ENV);
        index();
        try (SearchHttpServer guarded =
                SearchHttpServer.builder()
                        .api(new SearchApi(search))
                        .port(0)
                        .token("s3cret")
                        .build()
                        .start()) {
            URI url = URI.create(guarded.url() + "?q=gpu");
            assertThat(
                            http.send(
                                            HttpRequest.newBuilder(url).build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode())
                    .isEqualTo(401);
            assertThat(
                            http.send(
                                            HttpRequest.newBuilder(url)
                                                    .header("Authorization", "Bearer s3cret")
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode())
                    .isEqualTo(200);
        }
    }

    private void index() throws Exception {
        List<VectorDocument> documents =
                List.of(
                        document(
                                "nh-1",
                                "node-health",
                                "Node n7 of cluster h100-a went to DRAIN: xid 79, GPU has fallen"
                                        + " off the bus",
                                "node_health",
                                "node = 'n7'"),
                        document(
                                "erp-1",
                                "erp-event",
                                "Invoice INV-2026-000311 is 42 days overdue",
                                "enterprise_events",
                                "event_id = 'e1'"),
                        document(
                                "log-1",
                                "log-event",
                                "login failed for user tok_abc from tok_def",
                                "enterprise_events",
                                "event_id = 'e2'"));
        try (Embedder embedder = EmbedderConfig.miniLm(dir.resolve("work")).open(Map.of());
                LuceneVectorStore store = LuceneVectorStore.openForWriting(dir.resolve("index"))) {
            List<float[]> vectors =
                    embedder.embed(documents.stream().map(VectorDocument::text).toList());
            List<EmbeddedDocument> embedded = new ArrayList<>();
            for (int i = 0; i < documents.size(); i++) {
                embedded.add(
                        EmbeddedDocument.embedded(
                                documents.get(i), embedder.model(), vectors.get(i)));
            }
            store.commit(new VectorBatch(embedded, List.of(), T));
        }
    }

    private static VectorDocument document(
            String id, String kind, String text, String table, String row) {
        return VectorDocument.builder()
                .id(id)
                .kind(kind)
                .text(text)
                .time(T)
                .metadata("cluster", "h100-a")
                .source(table, row)
                .build();
    }

    private record Response(int status, JsonNode json) {}

    private Response get(String query) throws Exception {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(server.url() + "?" + query)).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        return new Response(response.statusCode(), JSON.readTree(response.body()));
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
