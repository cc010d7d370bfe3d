package dev.substrate.vectors;

import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.EmbedderConfig;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * A {@link VectorSearch} opened on first use: a search endpoint can start before the job has made
 * its first commit (which creates the index). Until the store exists, each call fails with the
 * store's own explanation; once it opens, it stays open.
 */
public final class LazyVectorSearch implements Supplier<VectorSearch>, AutoCloseable {

    private final VectorStoreConfig store;
    @Nullable private final EmbedderConfig embedder;
    private final Map<String, String> environment;
    private VectorSearch search;
    private VectorStore openedStore;
    private Embedder openedEmbedder;

    /**
     * @param embedder embeds queries; null for BM25-only search
     * @param environment where API keys are read from
     */
    public LazyVectorSearch(
            VectorStoreConfig store,
            @Nullable EmbedderConfig embedder,
            Map<String, String> environment) {
        this.store = Objects.requireNonNull(store, "store");
        this.embedder = embedder;
        this.environment = Map.copyOf(environment);
    }

    /**
     * The search, opening the store (and the embedder) if not yet open.
     *
     * @throws VectorStoreException while the store cannot be opened
     */
    @Override
    public synchronized VectorSearch get() {
        if (search == null) {
            openedStore = store.openForReading(environment);
            if (embedder != null && openedEmbedder == null) {
                openedEmbedder = embedder.open(environment);
            }
            search = new VectorSearch(openedStore, openedEmbedder);
        }
        return search;
    }

    @Override
    public synchronized void close() {
        if (openedStore != null) {
            openedStore.close();
        }
        if (openedEmbedder != null) {
            openedEmbedder.close();
        }
        search = null;
        openedStore = null;
        openedEmbedder = null;
    }
}
