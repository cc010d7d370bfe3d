package dev.substrate.vectors.embedding;

import java.util.ArrayList;
import java.util.List;

/**
 * Embeds a batch so that one bad text does not sink the others: when the backend refuses the batch
 * for its content, the batch is split in halves until the texts it refuses are alone, and only
 * those fail. A backend failure that every text shares (unreachable after retries, a refused key)
 * fails the whole batch at once, without a storm of requests.
 */
public final class BatchEmbedding {

    private BatchEmbedding() {}

    /** One text's vector or the reason it has none. */
    public record Outcome(float[] vector, String failure) {
        public boolean ok() {
            return vector != null;
        }
    }

    /** The outcome of each of {@code texts}, in their order. */
    public static List<Outcome> embedEach(Embedder embedder, List<String> texts) {
        List<Outcome> outcomes = new ArrayList<>(texts.size());
        embedInto(embedder, texts, outcomes);
        return outcomes;
    }

    private static void embedInto(Embedder embedder, List<String> texts, List<Outcome> outcomes) {
        if (texts.isEmpty()) {
            return;
        }
        try {
            List<float[]> vectors = embedder.embed(texts);
            if (vectors.size() != texts.size()) {
                throw new EmbeddingException(
                        embedder.model()
                                + " returned "
                                + vectors.size()
                                + " vectors for "
                                + texts.size()
                                + " texts",
                        false);
            }
            for (float[] vector : vectors) {
                outcomes.add(checked(embedder, vector));
            }
        } catch (EmbeddingException e) {
            if (e.isPerText() && texts.size() > 1) {
                int half = texts.size() / 2;
                embedInto(embedder, texts.subList(0, half), outcomes);
                embedInto(embedder, texts.subList(half, texts.size()), outcomes);
            } else {
                for (int i = 0; i < texts.size(); i++) {
                    outcomes.add(new Outcome(null, e.getMessage()));
                }
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < texts.size(); i++) {
                outcomes.add(
                        new Outcome(
                                null,
                                embedder.model()
                                        + " failed: "
                                        + e.getClass().getSimpleName()
                                        + ": "
                                        + e.getMessage()));
            }
        }
    }

    private static Outcome checked(Embedder embedder, float[] vector) {
        if (vector == null || vector.length != embedder.dimensions()) {
            return new Outcome(
                    null,
                    embedder.model()
                            + " returned a vector of "
                            + (vector == null ? "no" : Integer.toString(vector.length))
                            + " dimensions, expected "
                            + embedder.dimensions());
        }
        double norm = 0;
        for (float value : vector) {
            if (!Float.isFinite(value)) {
                return new Outcome(
                        null, embedder.model() + " returned a vector with NaN or infinity");
            }
            norm += value * value;
        }
        if (norm == 0) {
            // Cosine similarity is undefined for a zero vector.
            return new Outcome(null, embedder.model() + " returned a zero vector");
        }
        return new Outcome(vector, null);
    }
}
