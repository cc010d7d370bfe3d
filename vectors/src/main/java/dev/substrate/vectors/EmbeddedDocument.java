package dev.substrate.vectors;

import java.util.Objects;
import javax.annotation.Nullable;

/**
 * A document after embedding: its vector and the model that made it, or why no vector could be
 * made. A document that cannot be embedded is never dropped: it travels on as a failure, to dead
 * letters.
 *
 * @param document the document (a deletion needs no vector and is never a failure)
 * @param model the embedding model as {@code name@version}; null for a deletion
 * @param vector the embedding; null for a deletion or a failure
 * @param failure why the document could not be embedded; null when it was
 */
public record EmbeddedDocument(
        VectorDocument document,
        @Nullable String model,
        @Nullable float[] vector,
        @Nullable String failure) {

    public EmbeddedDocument {
        Objects.requireNonNull(document, "document");
        if (!document.isDeletion() && (vector == null) == (failure == null)) {
            throw new IllegalArgumentException(
                    "Document " + document.id() + " needs either a vector or a failure");
        }
    }

    /** {@code document} embedded by {@code model}. */
    public static EmbeddedDocument embedded(VectorDocument document, String model, float[] vector) {
        return new EmbeddedDocument(
                document,
                Objects.requireNonNull(model, "model"),
                Objects.requireNonNull(vector, "vector"),
                null);
    }

    /** {@code document}, which {@code model} could not embed, and why. */
    public static EmbeddedDocument failed(VectorDocument document, String model, String failure) {
        return new EmbeddedDocument(document, model, null, Objects.requireNonNull(failure));
    }

    /** A deletion, which needs no embedding. */
    public static EmbeddedDocument deletion(VectorDocument deletion) {
        if (!deletion.isDeletion()) {
            throw new IllegalArgumentException(deletion.id() + " is not a deletion");
        }
        return new EmbeddedDocument(deletion, null, null, null);
    }

    public String id() {
        return document.id();
    }

    /** True when the document has its vector (or is a deletion): it can go to the store. */
    public boolean isStorable() {
        return failure == null;
    }
}
