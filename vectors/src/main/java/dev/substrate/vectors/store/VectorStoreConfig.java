package dev.substrate.vectors.store;

import dev.substrate.vectors.VectorStore;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Which vector store to open, as a serializable value (the vector sink ships it to its committer,
 * which opens the store there). Qdrant's API key is not in it: it is read from {@value
 * QdrantVectorStore#QDRANT_API_KEY_ENV} where the store is opened.
 *
 * <pre>{@code
 * VectorStoreConfig local = VectorStoreConfig.lucene(Path.of(".substrate/vectors"));
 * VectorStoreConfig cluster = VectorStoreConfig.qdrant("http://qdrant:6333", "substrate");
 * try (VectorStore store = local.openForWriting(System.getenv(), 384)) { ... }
 * }</pre>
 */
public final class VectorStoreConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Which implementation. */
    public enum Kind {
        /** The embedded Lucene index in a local directory. */
        LUCENE,
        /** A Qdrant collection over REST. */
        QDRANT
    }

    private final Kind kind;
    @Nullable private final String path;
    @Nullable private final String url;
    @Nullable private final String collection;

    private VectorStoreConfig(
            Kind kind, @Nullable String path, @Nullable String url, @Nullable String collection) {
        this.kind = kind;
        this.path = path;
        this.url = url;
        this.collection = collection;
    }

    /** The Lucene index in {@code path}. */
    public static VectorStoreConfig lucene(Path path) {
        return new VectorStoreConfig(Kind.LUCENE, path.toString(), null, null);
    }

    /** The Qdrant collection {@code collection} at {@code url} (for example http://qdrant:6333). */
    public static VectorStoreConfig qdrant(String url, String collection) {
        return new VectorStoreConfig(
                Kind.QDRANT,
                null,
                Objects.requireNonNull(url, "url"),
                Objects.requireNonNull(collection, "collection"));
    }

    public Kind kind() {
        return kind;
    }

    /** The Lucene index directory, or null for Qdrant. */
    @Nullable
    public Path path() {
        return path == null ? null : Path.of(path);
    }

    /**
     * Opens the store to write {@code dimensions}-dimensional vectors (creating it when absent).
     *
     * @throws dev.substrate.vectors.VectorStoreException when it cannot be opened, with the fix
     */
    public VectorStore openForWriting(Map<String, String> environment, int dimensions) {
        return switch (kind) {
            case LUCENE -> LuceneVectorStore.openForWriting(Path.of(path));
            case QDRANT ->
                    QdrantVectorStore.open(
                            url,
                            collection,
                            environment.get(QdrantVectorStore.QDRANT_API_KEY_ENV),
                            dimensions);
        };
    }

    /**
     * Opens the store for searching.
     *
     * @throws dev.substrate.vectors.VectorStoreException when there is no store there yet
     */
    public VectorStore openForReading(Map<String, String> environment) {
        return switch (kind) {
            case LUCENE -> LuceneVectorStore.openForReading(Path.of(path));
            case QDRANT ->
                    QdrantVectorStore.open(
                            url,
                            collection,
                            environment.get(QdrantVectorStore.QDRANT_API_KEY_ENV),
                            0);
        };
    }

    @Override
    public String toString() {
        return kind == Kind.LUCENE
                ? "Lucene index " + path
                : "Qdrant collection " + collection + " at " + url;
    }
}
