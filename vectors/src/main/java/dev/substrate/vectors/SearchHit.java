package dev.substrate.vectors;

import javax.annotation.Nullable;

/**
 * One document a search found, with how it ranked.
 *
 * @param document the document
 * @param model the embedding model of its vector
 * @param score the score it was ranked by: cosine similarity mapped to [0, 1] for kNN, the BM25
 *     score for BM25, the reciprocal-rank-fusion score for hybrid
 * @param knnRank its 1-based rank among the nearest vectors, or null when not among them
 * @param knnScore its kNN similarity, or null
 * @param bm25Rank its 1-based BM25 rank, or null when no query word matched
 * @param bm25Score its BM25 score, or null
 */
public record SearchHit(
        VectorDocument document,
        String model,
        double score,
        @Nullable Integer knnRank,
        @Nullable Double knnScore,
        @Nullable Integer bm25Rank,
        @Nullable Double bm25Score) {

    /** A hit of a single list (kNN or BM25) with its similarity and rank there. */
    public static SearchHit ranked(StoredHit hit, int rank, SearchMode mode) {
        return mode == SearchMode.KNN
                ? new SearchHit(
                        hit.document(), hit.model(), hit.score(), rank, hit.score(), null, null)
                : new SearchHit(
                        hit.document(), hit.model(), hit.score(), null, null, rank, hit.score());
    }

    public String id() {
        return document.id();
    }
}
