package dev.substrate.vectors.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.StoreStatus;
import dev.substrate.vectors.StoredHit;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.VectorStore;
import dev.substrate.vectors.VectorStoreException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import javax.annotation.Nullable;

/**
 * A {@link VectorStore} on a Qdrant collection, over Qdrant's REST API, for clusters where the
 * index must outlive a TaskManager's disk. Each document is one point: its id is a UUID made from
 * the document id (so an upsert replaces), a dense vector {@code dense} (cosine) and a sparse
 * vector {@code bm25} (term frequencies weighted as BM25 does, with Qdrant's IDF modifier: BM25
 * scores computed by Qdrant), and the document as payload.
 *
 * <p>The event time the collection is complete up to lives in a state point of its own, written
 * after every batch, so it never claims more than readers can see. Qdrant has no multi-request
 * transactions: a reader may see part of a batch while it is being written; a batch written again
 * after a restart replaces the same points.
 *
 * <pre>{@code
 * try (QdrantVectorStore store = QdrantVectorStore.open("http://qdrant:6333", "substrate", apiKey, 384)) {
 *     store.commit(batch);
 * }
 * }</pre>
 */
public final class QdrantVectorStore implements VectorStore {

    static final String DENSE = "dense";
    static final String SPARSE = "bm25";
    static final String STATE_FLAG = "substrate_state";
    private static final UUID STATE_ID = pointId("\u0000substrate-state");
    private static final int POINTS_PER_REQUEST = 256;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String collection;
    @Nullable private final String apiKey;
    private final HttpClient http;
    private final Duration timeout = Duration.ofSeconds(30);

    private QdrantVectorStore(String url, String collection, @Nullable String apiKey) {
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        this.collection = collection;
        this.apiKey = apiKey;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * Connects to the collection at {@code url}, creating it (and its payload indexes) for {@code
     * dimensions}-dimensional vectors when absent.
     *
     * @param dimensions the vectors' dimension, for a new collection; 0 to require an existing one
     * @throws VectorStoreException when Qdrant cannot be reached, refuses the key, or the
     *     collection has vectors of another dimension
     */
    public static QdrantVectorStore open(
            String url, String collection, @Nullable String apiKey, int dimensions) {
        QdrantVectorStore store = new QdrantVectorStore(url, collection, apiKey);
        store.ensureCollection(dimensions);
        return store;
    }

    /** The Qdrant point id of document {@code id}: a name-based UUID, stable everywhere. */
    static UUID pointId(String id) {
        return UUID.nameUUIDFromBytes(("substrate:" + id).getBytes(StandardCharsets.UTF_8));
    }

    private void ensureCollection(int dimensions) {
        Response existing = call("GET", "collections/" + collection, null);
        if (existing.status == 200) {
            JsonNode size =
                    existing.body
                            .path("result")
                            .path("config")
                            .path("params")
                            .path("vectors")
                            .path(DENSE)
                            .path("size");
            if (size.isMissingNode()) {
                throw new VectorStoreException(
                        "The Qdrant collection "
                                + collection
                                + " at "
                                + base
                                + " has no dense vector named '"
                                + DENSE
                                + "': it was not made by Substrate; use another collection");
            }
            if (dimensions > 0 && size.asInt() != dimensions) {
                throw new VectorStoreException(
                        "The Qdrant collection "
                                + collection
                                + " holds "
                                + size.asInt()
                                + "-dimensional vectors, the embedder makes "
                                + dimensions
                                + ": use another collection for another model's dimension");
            }
            return;
        }
        if (existing.status != 404) {
            throw failure("read the collection", existing);
        }
        if (dimensions <= 0) {
            throw new VectorStoreException(
                    "No Qdrant collection "
                            + collection
                            + " at "
                            + base
                            + ": the job's vector stage creates it with its first commit");
        }
        ObjectNode create = JSON.createObjectNode();
        create.putObject("vectors")
                .putObject(DENSE)
                .put("size", dimensions)
                .put("distance", "Cosine");
        create.putObject("sparse_vectors").putObject(SPARSE).put("modifier", "idf");
        expectOk("create the collection", call("PUT", "collections/" + collection, create));
        for (String field : List.of("id", "kind", "model", "source_table", STATE_FLAG)) {
            ObjectNode index = JSON.createObjectNode();
            index.put("field_name", field);
            index.put("field_schema", field.equals(STATE_FLAG) ? "bool" : "keyword");
            expectOk(
                    "index " + field,
                    call("PUT", "collections/" + collection + "/index?wait=true", index));
        }
    }

    @Override
    public void commit(VectorBatch batch) {
        List<EmbeddedDocument> upserts = batch.upserts();
        for (int from = 0; from < upserts.size(); from += POINTS_PER_REQUEST) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode points = body.putArray("points");
            for (EmbeddedDocument upsert :
                    upserts.subList(from, Math.min(upserts.size(), from + POINTS_PER_REQUEST))) {
                points.add(point(upsert));
            }
            expectOk("write points", call("PUT", points("?wait=true"), body));
        }
        if (!batch.deletions().isEmpty()) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode ids = body.putArray("points");
            batch.deletions().forEach(id -> ids.add(pointId(id).toString()));
            expectOk("delete points", call("POST", points("/delete?wait=true"), body));
        }
        if (batch.completeUpTo() != null) {
            Instant previous = status().completeUpTo();
            long complete = batch.completeUpTo().toEpochMilli();
            if (previous != null) {
                complete = Math.max(complete, previous.toEpochMilli());
            }
            ObjectNode body = JSON.createObjectNode();
            ObjectNode state = body.putArray("points").addObject();
            state.put("id", STATE_ID.toString());
            state.putObject("vector");
            state.putObject("payload").put(STATE_FLAG, true).put("complete_up_to", complete);
            expectOk("write the commit watermark", call("PUT", points("?wait=true"), body));
        }
    }

    private static ObjectNode point(EmbeddedDocument embedded) {
        VectorDocument document = embedded.document();
        ObjectNode point = JSON.createObjectNode();
        point.put("id", pointId(document.id()).toString());
        ObjectNode vector = point.putObject("vector");
        ArrayNode dense = vector.putArray(DENSE);
        for (float value : embedded.vector()) {
            dense.add(value);
        }
        Bm25SparseEncoder.Sparse sparse = Bm25SparseEncoder.document(document.text());
        ObjectNode bm25 = vector.putObject(SPARSE);
        ArrayNode indices = bm25.putArray("indices");
        ArrayNode values = bm25.putArray("values");
        for (int i = 0; i < sparse.indices().length; i++) {
            indices.add(sparse.indices()[i]);
            values.add(sparse.values()[i]);
        }
        ObjectNode payload = point.putObject("payload");
        payload.put("id", document.id());
        payload.put("kind", document.kind());
        payload.put("text", document.text());
        payload.put("time", document.time().toEpochMilli());
        payload.put("model", embedded.model());
        if (document.sourceTable() != null) {
            payload.put("source_table", document.sourceTable());
        }
        if (document.sourceRow() != null) {
            payload.put("source_row", document.sourceRow());
        }
        ObjectNode meta = payload.putObject("meta");
        document.metadata().forEach(meta::put);
        return point;
    }

    @Override
    public List<StoredHit> nearest(float[] vector, int k, DocumentFilter filter) {
        ObjectNode body = query(k, filter);
        ArrayNode query = body.putArray("query");
        for (float value : vector) {
            query.add(value);
        }
        body.put("using", DENSE);
        return hits(call("POST", points("/query"), body), "search nearest vectors");
    }

    @Override
    public List<StoredHit> keyword(String text, int k, DocumentFilter filter) {
        Bm25SparseEncoder.Sparse sparse = Bm25SparseEncoder.query(text);
        if (sparse.indices().length == 0) {
            return List.of();
        }
        ObjectNode body = query(k, filter);
        ObjectNode query = body.putObject("query");
        ArrayNode indices = query.putArray("indices");
        ArrayNode values = query.putArray("values");
        for (int i = 0; i < sparse.indices().length; i++) {
            indices.add(sparse.indices()[i]);
            values.add(sparse.values()[i]);
        }
        body.put("using", SPARSE);
        return hits(call("POST", points("/query"), body), "search words");
    }

    private ObjectNode query(int k, DocumentFilter filter) {
        ObjectNode body = JSON.createObjectNode();
        body.put("limit", k);
        body.put("with_payload", true);
        body.set("filter", filterJson(filter));
        return body;
    }

    /** The filter in Qdrant's terms; the state point never passes. */
    static ObjectNode filterJson(DocumentFilter filter) {
        ObjectNode json = JSON.createObjectNode();
        ArrayNode must = json.putArray("must");
        filter.conditions()
                .forEach(
                        (key, values) -> {
                            ObjectNode condition = must.addObject();
                            condition.put("key", payloadKey(key));
                            ArrayNode any = condition.putObject("match").putArray("any");
                            values.stream().sorted().forEach(any::add);
                        });
        ObjectNode state = json.putArray("must_not").addObject();
        state.put("key", STATE_FLAG);
        state.putObject("match").put("value", true);
        return json;
    }

    private static String payloadKey(String key) {
        return DocumentFilter.DOCUMENT_KEYS.contains(key) ? key : "meta." + key;
    }

    @Override
    public Optional<StoredHit> get(String id) {
        Response response = call("GET", points("/" + pointId(id)), null);
        if (response.status == 404) {
            return Optional.empty();
        }
        expectOk("read a point", response);
        return Optional.of(fromPoint(response.body.path("result"), 0));
    }

    @Override
    public void forEach(DocumentFilter filter, Consumer<StoredHit> each) {
        JsonNode offset = null;
        do {
            ObjectNode body = JSON.createObjectNode();
            body.put("limit", 256);
            body.put("with_payload", true);
            body.set("filter", filterJson(filter));
            if (offset != null) {
                body.set("offset", offset);
            }
            Response response = call("POST", points("/scroll"), body);
            expectOk("scroll points", response);
            for (JsonNode point : response.body.path("result").path("points")) {
                each.accept(fromPoint(point, 0));
            }
            offset = response.body.path("result").path("next_page_offset");
        } while (offset != null && !offset.isNull() && !offset.isMissingNode());
    }

    @Override
    public long count(DocumentFilter filter) {
        ObjectNode body = JSON.createObjectNode();
        body.set("filter", filterJson(filter));
        body.put("exact", true);
        Response response = call("POST", points("/count"), body);
        expectOk("count points", response);
        return response.body.path("result").path("count").asLong();
    }

    @Override
    public StoreStatus status() {
        Response collectionInfo = call("GET", "collections/" + collection, null);
        expectOk("read the collection", collectionInfo);
        int dimensions =
                collectionInfo
                        .body
                        .path("result")
                        .path("config")
                        .path("params")
                        .path("vectors")
                        .path(DENSE)
                        .path("size")
                        .asInt();
        Response state = call("GET", points("/" + STATE_ID), null);
        Instant complete = null;
        if (state.status == 200) {
            JsonNode value = state.body.path("result").path("payload").path("complete_up_to");
            if (value.isNumber()) {
                complete = Instant.ofEpochMilli(value.asLong());
            }
        } else if (state.status != 404) {
            throw failure("read the commit watermark", state);
        }
        return new StoreStatus(
                base + "collections/" + collection,
                count(DocumentFilter.none()),
                facet("kind"),
                facet("model"),
                dimensions,
                complete);
    }

    private Map<String, Long> facet(String key) {
        ObjectNode body = JSON.createObjectNode();
        body.put("key", key);
        body.put("exact", true);
        body.put("limit", 1000);
        body.set("filter", filterJson(DocumentFilter.none()));
        Response response = call("POST", "collections/" + collection + "/facet", body);
        expectOk("count documents per " + key, response);
        Map<String, Long> counts = new TreeMap<>();
        for (JsonNode hit : response.body.path("result").path("hits")) {
            counts.put(hit.path("value").asText(), hit.path("count").asLong());
        }
        return counts;
    }

    @Override
    public void checkFilter(DocumentFilter filter) {
        // Qdrant filters on any payload key; an unknown key matches nothing.
    }

    @Override
    public void close() {
        // java.net.http.HttpClient (Java 17) has nothing to close.
    }

    private List<StoredHit> hits(Response response, String what) {
        expectOk(what, response);
        JsonNode result = response.body.path("result");
        JsonNode points = result.isArray() ? result : result.path("points");
        List<StoredHit> hits = new ArrayList<>();
        for (JsonNode point : points) {
            hits.add(fromPoint(point, point.path("score").asDouble()));
        }
        return hits;
    }

    private static StoredHit fromPoint(JsonNode point, double score) {
        JsonNode payload = point.path("payload");
        Map<String, String> metadata = new LinkedHashMap<>();
        payload.path("meta")
                .fields()
                .forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
        VectorDocument document =
                new VectorDocument(
                        payload.path("id").asText(),
                        payload.path("kind").asText(),
                        payload.path("text").asText(),
                        Instant.ofEpochMilli(payload.path("time").asLong()),
                        metadata,
                        text(payload, "source_table"),
                        text(payload, "source_row"));
        return new StoredHit(document, payload.path("model").asText(), score);
    }

    @Nullable
    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? value.asText() : null;
    }

    /** {@code collections/<name>/points<suffix>}. */
    private String points(String suffix) {
        return "collections/" + collection + "/points" + suffix;
    }

    private record Response(int status, JsonNode body) {}

    private Response call(String method, String path, @Nullable JsonNode body) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(timeout)
                        .header("Content-Type", "application/json")
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null && !apiKey.isEmpty()) {
            request.header("api-key", apiKey);
        }
        try {
            HttpResponse<String> response =
                    http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json;
            try {
                json =
                        response.body().isEmpty()
                                ? JSON.createObjectNode()
                                : JSON.readTree(response.body());
            } catch (IOException e) {
                json = JSON.createObjectNode().put("status", response.body());
            }
            return new Response(response.statusCode(), json);
        } catch (IOException e) {
            throw new VectorStoreException(
                    "Cannot reach Qdrant at "
                            + base
                            + " ("
                            + e.getClass().getSimpleName()
                            + ": "
                            + e.getMessage()
                            + "): is it running, and is vectors.qdrant.url right?",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VectorStoreException("Interrupted while calling Qdrant at " + base, e);
        }
    }

    private void expectOk(String what, Response response) {
        if (response.status != 200) {
            throw failure(what, response);
        }
    }

    private VectorStoreException failure(String what, Response response) {
        String detail = response.body.path("status").path("error").asText(response.body.toString());
        String hint =
                response.status == 401 || response.status == 403
                        ? " (check the API key in " + QDRANT_API_KEY_ENV + ")"
                        : "";
        return new VectorStoreException(
                "Qdrant at "
                        + base
                        + " could not "
                        + what
                        + " in collection "
                        + collection
                        + ": HTTP "
                        + response.status
                        + " "
                        + detail
                        + hint);
    }

    /** The environment variable holding Qdrant's API key. */
    public static final String QDRANT_API_KEY_ENV = "SUBSTRATE_QDRANT_API_KEY";
}
