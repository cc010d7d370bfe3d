package dev.substrate.vectors;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where documents and their vectors live, and the two ways to find them: nearest vectors and BM25
 * full text, both under a {@link DocumentFilter}. Writes are batched into commits ({@link
 * #commit}): a commit is all or nothing for its readers, and records the event time the store is
 * complete up to. Writing a document again (same id) replaces it, so a batch committed twice (a
 * restart after a failure) leaves one document per id.
 *
 * <p>Two implementations: the embedded {@link dev.substrate.vectors.store.LuceneVectorStore} (local
 * disk) and {@link dev.substrate.vectors.store.QdrantVectorStore} (a Qdrant cluster over REST).
 * {@link VectorSearch} fuses their kNN and BM25 answers.
 */
public interface VectorStore extends AutoCloseable {

    /**
     * Writes {@code batch}: its upserts and deletions become visible to readers together, with its
     * {@code completeUpTo}.
     *
     * @throws VectorStoreException when the store is read-only or cannot be written
     */
    void commit(VectorBatch batch);

    /**
     * Reorganizes the store for faster queries after a bulk load, into at most {@code maxSegments}
     * parts where that means something (Lucene's segments, each one HNSW graph); a no-op for a
     * store that manages this itself (Qdrant optimizes its segments in the background).
     *
     * @throws VectorStoreException when the store is read-only or cannot be written
     */
    default void compact(int maxSegments) {}

    /** The {@code k} documents whose vectors are nearest to {@code vector}, best first. */
    List<StoredHit> nearest(float[] vector, int k, DocumentFilter filter);

    /** The {@code k} best BM25 matches of {@code text}, best first; none when no word matches. */
    List<StoredHit> keyword(String text, int k, DocumentFilter filter);

    /** The document with {@code id}, if the store holds it. */
    Optional<StoredHit> get(String id);

    /** Calls {@code each} with every document that passes {@code filter} (for re-embedding). */
    void forEach(DocumentFilter filter, Consumer<StoredHit> each);

    /** How many documents pass {@code filter}. */
    long count(DocumentFilter filter);

    /** What the store holds, and the event time it is complete up to. */
    StoreStatus status();

    /**
     * Refuses a filter on a key no document can have, so that a typo is an error rather than an
     * empty answer.
     *
     * @throws IllegalArgumentException naming the key and the keys there are
     */
    void checkFilter(DocumentFilter filter);

    @Override
    void close();
}
