package dev.substrate.vectors;

import dev.substrate.vectors.embedding.BatchEmbedding;
import dev.substrate.vectors.embedding.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Embeds again, with the current model, every document whose vector an older (or other) model made,
 * so that kNN compares like with like. Documents keep their id, text, metadata and lineage; only
 * the vector and the model change. A document that cannot be embedded keeps its old vector and is
 * reported.
 *
 * <pre>{@code
 * ReEmbedder.Report report = new ReEmbedder(store, embedder, 64).run(System.out::println);
 * }</pre>
 */
public final class ReEmbedder {

    private final VectorStore store;
    private final Embedder embedder;
    private final int batchSize;

    public ReEmbedder(VectorStore store, Embedder embedder, int batchSize) {
        this.store = Objects.requireNonNull(store, "store");
        this.embedder = Objects.requireNonNull(embedder, "embedder");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1");
        }
        this.batchSize = batchSize;
    }

    /**
     * What a run did.
     *
     * @param model the model documents were embedded with
     * @param stale documents of another model found
     * @param reembedded documents embedded again
     * @param failures the documents that kept their old vector, with the reason (the first 10)
     * @param failed how many kept their old vector
     */
    public record Report(
            String model, long stale, long reembedded, long failed, List<String> failures) {}

    /** Re-embeds every stale document, committing each batch; {@code progress} hears each one. */
    public Report run(Consumer<String> progress) {
        String model = embedder.model();
        List<VectorDocument> stale = new ArrayList<>();
        store.forEach(
                DocumentFilter.none(),
                hit -> {
                    if (!model.equals(hit.model())) {
                        stale.add(hit.document());
                    }
                });
        long reembedded = 0;
        long failed = 0;
        List<String> failures = new ArrayList<>();
        for (int from = 0; from < stale.size(); from += batchSize) {
            List<VectorDocument> batch =
                    stale.subList(from, Math.min(stale.size(), from + batchSize));
            List<BatchEmbedding.Outcome> outcomes =
                    BatchEmbedding.embedEach(
                            embedder, batch.stream().map(VectorDocument::text).toList());
            List<EmbeddedDocument> upserts = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                BatchEmbedding.Outcome outcome = outcomes.get(i);
                if (outcome.ok()) {
                    upserts.add(EmbeddedDocument.embedded(batch.get(i), model, outcome.vector()));
                } else {
                    failed++;
                    if (failures.size() < 10) {
                        failures.add(batch.get(i).id() + ": " + outcome.failure());
                    }
                }
            }
            if (!upserts.isEmpty()) {
                store.commit(VectorBatch.upserting(upserts));
                reembedded += upserts.size();
            }
            progress.accept(
                    "re-embedded "
                            + reembedded
                            + " of "
                            + stale.size()
                            + " documents"
                            + (failed > 0 ? " (" + failed + " failed)" : ""));
        }
        if (reembedded > 0 && reembedded * 2 >= store.count(DocumentFilter.none())) {
            // Most of the index was rewritten: its replaced documents and many small segments
            // slow every kNN query (one HNSW graph per segment) until merged.
            progress.accept("merging the index into one segment for faster kNN queries");
            store.compact(1);
        }
        return new Report(model, stale.size(), reembedded, failed, List.copyOf(failures));
    }
}
