package dev.substrate.vectors;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * What one commit writes to a store: documents to insert or replace, ids to delete, and the event
 * time the store is complete up to once they are in. The vector sink makes one per checkpoint.
 *
 * @param upserts embedded documents, each replacing any document with its id
 * @param deletions ids to remove (a deletion of an absent id is no error)
 * @param completeUpTo every document with an earlier event time is in the store after this commit
 *     (the watermark the sink had seen); null leaves the store's value as it is
 */
public record VectorBatch(
        List<EmbeddedDocument> upserts, List<String> deletions, @Nullable Instant completeUpTo) {

    public VectorBatch {
        upserts = List.copyOf(Objects.requireNonNull(upserts, "upserts"));
        deletions = List.copyOf(Objects.requireNonNull(deletions, "deletions"));
        for (EmbeddedDocument upsert : upserts) {
            if (upsert.vector() == null) {
                throw new IllegalArgumentException(
                        "Document " + upsert.id() + " has no vector and cannot be stored");
            }
        }
    }

    /** A batch of upserts only. */
    public static VectorBatch upserting(List<EmbeddedDocument> upserts) {
        return new VectorBatch(upserts, List.of(), null);
    }

    public boolean isEmpty() {
        return upserts.isEmpty() && deletions.isEmpty() && completeUpTo == null;
    }
}
