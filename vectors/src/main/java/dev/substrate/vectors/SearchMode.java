package dev.substrate.vectors;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How a search ranks documents. */
public enum SearchMode {
    /** Nearest vectors to the query's embedding (HNSW, cosine): finds paraphrases. */
    KNN,
    /** BM25 full text on the same documents: finds exact words, ids, codes. */
    BM25,
    /** Both, fused by reciprocal rank: a document near the top of either list ranks high. */
    HYBRID;

    /** The mode named {@code name} (any case), or an error that lists the modes. */
    public static SearchMode parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Unknown search mode '"
                            + name
                            + "': use one of "
                            + Arrays.stream(values())
                                    .map(SearchMode::label)
                                    .collect(Collectors.joining(", ")));
        }
    }

    /** The mode as users type it: {@code knn}, {@code bm25}, {@code hybrid}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True when the query must be embedded. */
    public boolean usesVectors() {
        return this != BM25;
    }
}
