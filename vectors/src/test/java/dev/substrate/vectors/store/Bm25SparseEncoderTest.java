package dev.substrate.vectors.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.vectors.DocumentFilter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the Qdrant adapter sends: BM25 weights as sparse vectors, point ids, filters. */
class Bm25SparseEncoderTest {

    @Test
    void aTermCountsMoreWhenRepeatedAndLessInALongerDocument() {
        Bm25SparseEncoder.Sparse once = Bm25SparseEncoder.document("upstream timeout");
        Bm25SparseEncoder.Sparse twice = Bm25SparseEncoder.document("upstream upstream timeout");
        Bm25SparseEncoder.Sparse longer =
                Bm25SparseEncoder.document(
                        "upstream timeout while the gateway waited for the scheduler to answer a"
                                + " request about capacity in another region of the fleet today");
        int upstream = Bm25SparseEncoder.index("upstream");
        assertThat(value(twice, upstream)).isGreaterThan(value(once, upstream));
        assertThat(value(longer, upstream)).isLessThan(value(once, upstream));
        // Saturation: never above k1 + 1.
        assertThat(
                        value(
                                Bm25SparseEncoder.document(
                                        "a a a a a a a a a a upstream ".repeat(20)),
                                upstream))
                .isLessThan((float) (Bm25SparseEncoder.K1 + 1));
    }

    @Test
    void queriesHoldEachStemmedTermOnceAndStopWordsNot() {
        Bm25SparseEncoder.Sparse query =
                Bm25SparseEncoder.query("The GPUs failed, failing the GPU");
        assertThat(query.indices())
                .containsExactlyInAnyOrder(
                        Bm25SparseEncoder.index("gpu"), Bm25SparseEncoder.index("fail"));
        assertThat(query.values()).containsOnly(1f);
        assertThat(Bm25SparseEncoder.query("the of and").indices()).isEmpty();
    }

    @Test
    void pointIdsAreStableAndDistinctAndFiltersNeverPassTheStatePoint() {
        assertThat(QdrantVectorStore.pointId("doc-1"))
                .isEqualTo(QdrantVectorStore.pointId("doc-1"));
        assertThat(QdrantVectorStore.pointId("doc-1"))
                .isNotEqualTo(QdrantVectorStore.pointId("doc-2"));
        String json =
                QdrantVectorStore.filterJson(
                                DocumentFilter.parse(List.of("kind=a", "kind=b", "cluster=h100-a")))
                        .toString();
        assertThat(json)
                .isEqualTo(
                        "{\"must\":[{\"key\":\"kind\",\"match\":{\"any\":[\"a\",\"b\"]}},"
                            + "{\"key\":\"meta.cluster\",\"match\":{\"any\":[\"h100-a\"]}}],"
                            + "\"must_not\":[{\"key\":\"substrate_state\",\"match\":{\"value\":true}}]}");
    }

    private static float value(Bm25SparseEncoder.Sparse sparse, int index) {
        for (int i = 0; i < sparse.indices().length; i++) {
            if (sparse.indices()[i] == index) {
                return sparse.values()[i];
            }
        }
        throw new AssertionError("no index " + index);
    }
}
