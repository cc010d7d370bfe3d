package dev.substrate.vectors.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.SearchAnswer;
import dev.substrate.vectors.SearchHit;
import dev.substrate.vectors.SearchMode;
import dev.substrate.vectors.VectorSearch;
import dev.substrate.vectors.VectorStoreException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/search} without a web server: query parameters in, a status and a JSON body out, so
 * any server can serve it (the local run's {@link SearchHttpServer} does, through {@link
 * SearchHandler}; so can the dashboard).
 *
 * <pre>
 * GET /api/search?q=gpu+fell+off+the+bus&amp;k=5&amp;mode=hybrid&amp;filter=cluster%3Dh100-a&amp;filter=kind%3Dnode-health
 * 200 {"query":..., "mode":"hybrid", "complete_up_to":"2026-11-26T10:00:05Z", "documents":1234,
 *      "hits":[{"id":..., "kind":..., "score":..., "knn_rank":1, "bm25_rank":3, "time":..., "text":...,
 *               "metadata":{...}, "model":..., "lineage":{"table":"node_health", "row":"cluster = ..."}}]}
 * 400 {"error": "Bad filter 'kind': expected key=value, ..."}
 * 503 {"error": "No vector index at ...: ..."}
 * </pre>
 */
public final class SearchApi {

    private static final Logger LOG = LoggerFactory.getLogger(SearchApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Results per query unless {@code k} says otherwise. */
    public static final int DEFAULT_K = 10;

    private final Supplier<VectorSearch> search;

    /**
     * @param search the search to answer with; called for every request, so it may open the store
     *     late (the job creates it with its first commit) and throw {@link VectorStoreException}
     *     until then
     */
    public SearchApi(Supplier<VectorSearch> search) {
        this.search = Objects.requireNonNull(search, "search");
    }

    /** An HTTP status and a JSON body. */
    public record Response(int status, String json) {}

    /** Answers the query parameters {@code q}, {@code k}, {@code mode} and {@code filter}. */
    public Response handle(Map<String, List<String>> parameters) {
        try {
            String query = single(parameters, "q");
            if (query == null || query.isBlank()) {
                return error(
                        400,
                        "Missing query:"
                            + " /api/search?q=<text>[&k=N][&mode=knn|bm25|hybrid][&filter=key=value]");
            }
            String kText = single(parameters, "k");
            int k;
            try {
                k = kText == null ? DEFAULT_K : Integer.parseInt(kText.trim());
            } catch (NumberFormatException e) {
                return error(400, "k must be a whole number, not '" + kText + "'");
            }
            String modeText = single(parameters, "mode");
            SearchMode mode = modeText == null ? SearchMode.HYBRID : SearchMode.parse(modeText);
            DocumentFilter filter =
                    DocumentFilter.parse(parameters.getOrDefault("filter", List.of()));
            SearchAnswer answer = search.get().search(query, mode, k, filter);
            return new Response(200, toJson(answer).toString());
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        } catch (VectorStoreException e) {
            return error(503, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("Search failed", e);
            return error(500, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static String single(Map<String, List<String>> parameters, String name) {
        List<String> values = parameters.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new IllegalArgumentException(
                    "Give " + name + " once, not " + values.size() + " times");
        }
        return values.get(0);
    }

    static Response error(int status, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", message);
        return new Response(status, body.toString());
    }

    /** The answer as the JSON document {@code /api/search} returns. */
    public static ObjectNode toJson(SearchAnswer answer) {
        ObjectNode json = JSON.createObjectNode();
        json.put("query", answer.query());
        json.put("mode", answer.mode().label());
        json.put("k", answer.k());
        ObjectNode filter = json.putObject("filter");
        answer.filter()
                .conditions()
                .forEach(
                        (key, values) ->
                                values.stream().sorted().forEach(filter.withArray(key)::add));
        if (answer.completeUpTo() == null) {
            json.putNull("complete_up_to");
        } else {
            json.put("complete_up_to", answer.completeUpTo().toString());
        }
        json.put("complete_up_to_text", "complete up to " + answer.completeUpToText());
        json.put("documents", answer.documents());
        json.put("query_model", answer.queryModel());
        json.put("took_ms", answer.tookMicros() / 1000.0);
        ArrayNode warnings = json.putArray("warnings");
        answer.warnings().forEach(warnings::add);
        ArrayNode hits = json.putArray("hits");
        for (SearchHit hit : answer.hits()) {
            ObjectNode item = hits.addObject();
            item.put("id", hit.id());
            item.put("kind", hit.document().kind());
            item.put("score", hit.score());
            item.put("knn_rank", hit.knnRank());
            item.put("knn_score", hit.knnScore());
            item.put("bm25_rank", hit.bm25Rank());
            item.put("bm25_score", hit.bm25Score());
            item.put("time", hit.document().time().toString());
            item.put("text", hit.document().text());
            ObjectNode metadata = item.putObject("metadata");
            hit.document().metadata().forEach(metadata::put);
            item.put("model", hit.model());
            ObjectNode lineage = item.putObject("lineage");
            lineage.put("table", hit.document().sourceTable());
            lineage.put("row", hit.document().sourceRow());
        }
        return json;
    }
}
