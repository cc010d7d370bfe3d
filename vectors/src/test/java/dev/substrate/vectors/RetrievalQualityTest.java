package dev.substrate.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.MiniLmEmbedder;
import dev.substrate.vectors.store.LuceneVectorStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retrieval quality on the labelled set in {@code sample-data/retrieval/} (64 documents of 8 kinds,
 * 20 queries), embedded by the real MiniLM model into the real Lucene store: recall@5 of hybrid
 * search is at least 0.9; kNN-only and BM25-only are measured beside it and printed.
 */
class RetrievalQualityTest {

    private static final int K = 5;

    @TempDir Path dir;

    @Test
    void hybridSearchFindsTheRelevantDocumentsInItsTopFive() throws Exception {
        RetrievalSet set = RetrievalSet.load();
        assertThat(set.documents()).hasSizeGreaterThanOrEqualTo(60);
        assertThat(set.documents().stream().map(VectorDocument::kind).distinct()).hasSize(8);
        assertThat(set.queries()).hasSizeGreaterThanOrEqualTo(20);
        Set<String> ids =
                set.documents().stream().map(VectorDocument::id).collect(Collectors.toSet());
        set.queries().forEach(q -> assertThat(ids).containsAll(q.relevant()));

        Map<SearchMode, Double> recall = new EnumMap<>(SearchMode.class);
        List<String> misses = new ArrayList<>();
        try (Embedder embedder = MiniLmEmbedder.open(dir.resolve("work"));
                LuceneVectorStore store = LuceneVectorStore.openForWriting(dir.resolve("index"))) {
            List<String> texts = set.documents().stream().map(VectorDocument::text).toList();
            List<float[]> vectors = embedder.embed(texts);
            List<EmbeddedDocument> embedded = new ArrayList<>();
            for (int i = 0; i < vectors.size(); i++) {
                embedded.add(
                        EmbeddedDocument.embedded(
                                set.documents().get(i), embedder.model(), vectors.get(i)));
            }
            store.commit(VectorBatch.upserting(embedded));

            VectorSearch search = new VectorSearch(store, embedder);
            for (SearchMode mode : SearchMode.values()) {
                double sum = 0;
                for (RetrievalSet.Query query : set.queries()) {
                    SearchAnswer answer =
                            search.search(query.text(), mode, K, DocumentFilter.none());
                    Set<String> found = new HashSet<>();
                    answer.hits().forEach(h -> found.add(h.id()));
                    long hit = query.relevant().stream().filter(found::contains).count();
                    sum += (double) hit / query.relevant().size();
                    if (hit < query.relevant().size()) {
                        misses.add(
                                mode.label()
                                        + ": '"
                                        + query.text()
                                        + "' missed "
                                        + query.relevant().stream()
                                                .filter(r -> !found.contains(r))
                                                .toList()
                                        + ", top: "
                                        + answer.hits().stream().map(SearchHit::id).toList());
                    }
                }
                recall.put(mode, sum / set.queries().size());
            }
        }
        System.out.printf(
                "Recall@%d on %d queries: hybrid %.3f, knn %.3f, bm25 %.3f%n",
                K,
                20,
                recall.get(SearchMode.HYBRID),
                recall.get(SearchMode.KNN),
                recall.get(SearchMode.BM25));
        misses.forEach(System.out::println);
        assertThat(recall.get(SearchMode.HYBRID)).as("hybrid recall@5").isGreaterThanOrEqualTo(0.9);
    }
}
