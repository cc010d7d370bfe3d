package dev.substrate.vectors;

import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.EmbeddingException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Retrieval over a {@link VectorStore}: kNN on the query's embedding, BM25 on its words, or both
 * fused by reciprocal rank (RRF: each list contributes {@code 1 / (60 + rank)} for every document
 * in its top {@code max(4k, 40)}). Fusing ranks, not scores, needs no calibration between cosine
 * similarities and BM25 scores, and a document that only one list finds still ranks.
 *
 * <pre>{@code
 * VectorSearch search = new VectorSearch(store, embedder);
 * SearchAnswer answer = search.search("GPU fell off the bus", SearchMode.HYBRID, 5,
 *         DocumentFilter.parse(List.of("cluster=h100-a")));
 * answer.completeUpTo(); // every document up to this event time is in
 * }</pre>
 */
public final class VectorSearch {

    /** RRF's constant: damps the weight of the very first ranks (60, as in the RRF paper). */
    public static final int RRF_K = 60;

    private final VectorStore store;
    @Nullable private final Embedder embedder;

    /**
     * @param embedder embeds queries for kNN and hybrid search; null allows BM25 only
     */
    public VectorSearch(VectorStore store, @Nullable Embedder embedder) {
        this.store = Objects.requireNonNull(store, "store");
        this.embedder = embedder;
    }

    public VectorStore store() {
        return store;
    }

    /**
     * The {@code k} best documents for {@code query} in {@code mode} that pass {@code filter}.
     *
     * @throws IllegalArgumentException for a blank query, {@code k < 1}, or a filter key no
     *     document can have
     * @throws VectorStoreException when the store cannot be read or the query vector does not fit
     * @throws IllegalStateException when the query cannot be embedded
     */
    public SearchAnswer search(String query, SearchMode mode, int k, DocumentFilter filter) {
        long start = System.nanoTime();
        if (query == null || query.isBlank()) {
            throw new IllegalArgumentException("The query is empty: say what to look for");
        }
        if (k < 1 || k > 1000) {
            throw new IllegalArgumentException("k must be between 1 and 1000, not " + k);
        }
        store.checkFilter(filter);
        StoreStatus status = store.status();
        List<String> warnings = new ArrayList<>();
        String queryModel = null;
        List<SearchHit> hits;
        int depth = mode == SearchMode.HYBRID ? Math.max(4 * k, 40) : k;
        List<StoredHit> nearest = List.of();
        if (mode.usesVectors()) {
            if (embedder == null) {
                throw new IllegalStateException(
                        "No embedder for " + mode.label() + " search: use --mode bm25");
            }
            queryModel = embedder.model();
            for (String model : status.models().keySet()) {
                if (!model.equals(queryModel)) {
                    warnings.add(
                            status.models().get(model)
                                    + " documents were embedded by "
                                    + model
                                    + ", not by the query's "
                                    + queryModel
                                    + ": their kNN ranks mean little until they are re-embedded"
                                    + " (substrate search --reembed)");
                }
            }
            nearest = store.nearest(embed(query), depth, filter);
        }
        List<StoredHit> keyword =
                mode == SearchMode.KNN ? List.of() : store.keyword(query, depth, filter);
        if (mode != SearchMode.KNN && keyword.isEmpty() && status.documents() > 0) {
            warnings.add("No document contains a word of the query (BM25 found nothing)");
        }
        hits =
                switch (mode) {
                    case KNN -> single(nearest, SearchMode.KNN);
                    case BM25 -> single(keyword, SearchMode.BM25);
                    case HYBRID -> fuse(nearest, keyword, k);
                };
        return new SearchAnswer(
                query,
                mode,
                k,
                filter,
                hits,
                status.completeUpTo(),
                status.documents(),
                queryModel,
                (System.nanoTime() - start) / 1000,
                warnings);
    }

    private float[] embed(String query) {
        try {
            return embedder.embed(List.of(query)).get(0);
        } catch (EmbeddingException e) {
            throw new IllegalStateException("Cannot embed the query: " + e.getMessage(), e);
        }
    }

    private static List<SearchHit> single(List<StoredHit> hits, SearchMode mode) {
        List<SearchHit> ranked = new ArrayList<>(hits.size());
        for (int i = 0; i < hits.size(); i++) {
            ranked.add(SearchHit.ranked(hits.get(i), i + 1, mode));
        }
        return ranked;
    }

    /** Reciprocal rank fusion of the two lists, best {@code k} first. */
    static List<SearchHit> fuse(List<StoredHit> nearest, List<StoredHit> keyword, int k) {
        Map<String, Fused> fused = new LinkedHashMap<>();
        for (int i = 0; i < nearest.size(); i++) {
            StoredHit hit = nearest.get(i);
            Fused entry = fused.computeIfAbsent(hit.document().id(), id -> new Fused(hit));
            entry.knnRank = i + 1;
            entry.knnScore = hit.score();
        }
        for (int i = 0; i < keyword.size(); i++) {
            StoredHit hit = keyword.get(i);
            Fused entry = fused.computeIfAbsent(hit.document().id(), id -> new Fused(hit));
            entry.bm25Rank = i + 1;
            entry.bm25Score = hit.score();
        }
        return fused.values().stream()
                .sorted(
                        Comparator.comparingDouble(Fused::rrf)
                                .reversed()
                                .thenComparing(f -> f.hit.document().id()))
                .limit(k)
                .map(
                        f ->
                                new SearchHit(
                                        f.hit.document(),
                                        f.hit.model(),
                                        f.rrf(),
                                        f.knnRank,
                                        f.knnScore,
                                        f.bm25Rank,
                                        f.bm25Score))
                .toList();
    }

    private static final class Fused {
        final StoredHit hit;
        Integer knnRank;
        Double knnScore;
        Integer bm25Rank;
        Double bm25Score;

        Fused(StoredHit hit) {
            this.hit = hit;
        }

        double rrf() {
            double score = 0;
            if (knnRank != null) {
                score += 1.0 / (RRF_K + knnRank);
            }
            if (bm25Rank != null) {
                score += 1.0 / (RRF_K + bm25Rank);
            }
            return score;
        }
    }
}
