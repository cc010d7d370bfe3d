package dev.substrate.vectors.store;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * BM25 as a sparse vector, for stores that score sparse dot products (Qdrant): a document's vector
 * holds, per term, BM25's saturated term frequency {@code tf (k1 + 1) / (tf + k1 (1 - b + b
 * dl/avgdl))}; a query's holds 1 per term; the store multiplies by each term's IDF (Qdrant's {@code
 * modifier: idf}). The dot product is then the BM25 score. Terms are {@link TextTerms}, indexed by
 * their (specified, stable) {@link String#hashCode()}.
 */
public final class Bm25SparseEncoder {

    static final double K1 = 1.2;
    static final double B = 0.75;

    /** The average document length assumed, in terms: the pipeline's documents are short. */
    static final double AVERAGE_LENGTH = 40;

    /** A sparse vector: ascending indices and their values. */
    public record Sparse(int[] indices, float[] values) {}

    private Bm25SparseEncoder() {}

    /** The vector of a document's {@code text}. */
    public static Sparse document(String text) {
        List<String> terms = TextTerms.of(text);
        Map<Integer, Integer> frequencies = new TreeMap<>();
        for (String term : terms) {
            frequencies.merge(index(term), 1, Integer::sum);
        }
        double norm = K1 * (1 - B + B * terms.size() / AVERAGE_LENGTH);
        int[] indices = new int[frequencies.size()];
        float[] values = new float[frequencies.size()];
        int i = 0;
        for (var entry : frequencies.entrySet()) {
            int tf = entry.getValue();
            indices[i] = entry.getKey();
            values[i] = (float) (tf * (K1 + 1) / (tf + norm));
            i++;
        }
        return new Sparse(indices, values);
    }

    /** The vector of a query: each distinct term once. */
    public static Sparse query(String text) {
        TreeMap<Integer, Float> unique = new TreeMap<>();
        for (String term : TextTerms.of(text)) {
            unique.put(index(term), 1f);
        }
        int[] indices = new int[unique.size()];
        float[] values = new float[unique.size()];
        int i = 0;
        for (int index : unique.keySet()) {
            indices[i] = index;
            values[i] = 1f;
            i++;
        }
        return new Sparse(indices, values);
    }

    /** A term's index: non-negative, the same in every JVM. */
    static int index(String term) {
        return term.hashCode() & 0x7fffffff;
    }
}
