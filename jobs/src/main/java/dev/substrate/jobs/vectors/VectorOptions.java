package dev.substrate.jobs.vectors;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.vectors.embedding.EmbedderConfig;
import dev.substrate.vectors.embedding.MiniLmEmbedder;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The options of {@link VectorDocumentsStage}: where documents are stored, how they are embedded,
 * and how embedding is batched. Typed, documented and defaulted; the stage's {@code Settings.from}
 * turns a configuration into its settings and refuses an incomplete one with the option to set.
 */
public final class VectorOptions {

    /** Which store holds the documents. */
    public enum Store {
        /** The embedded Lucene index in {@code vectors.path} (local disk of one TaskManager). */
        LUCENE,
        /** A Qdrant collection ({@code vectors.qdrant.*}), for clusters. */
        QDRANT
    }

    public static final ConfigOption<Boolean> ENABLED =
            key("vectors.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Index node-health incidents, GPU anomalies, enterprise events with"
                                    + " text and dead letters in the vector store.");

    public static final ConfigOption<Store> STORE =
            key("vectors.store")
                    .enumType(Store.class)
                    .defaultValue(Store.LUCENE)
                    .withDescription("LUCENE (embedded, local disk) or QDRANT (over REST).");

    public static final ConfigOption<String> PATH =
            key("vectors.path")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "The Lucene index directory. Default: 'vectors' beside a local"
                                    + " catalog.warehouse (.substrate/vectors); required when the"
                                    + " warehouse is remote.");

    public static final ConfigOption<String> QDRANT_URL =
            key("vectors.qdrant.url")
                    .stringType()
                    .defaultValue("http://127.0.0.1:6333")
                    .withDescription(
                            "Qdrant's REST address (API key from SUBSTRATE_QDRANT_API_KEY).");

    public static final ConfigOption<String> QDRANT_COLLECTION =
            key("vectors.qdrant.collection")
                    .stringType()
                    .defaultValue("substrate")
                    .withDescription("The Qdrant collection, created when absent.");

    public static final ConfigOption<EmbedderConfig.Provider> EMBEDDING_PROVIDER =
            key("vectors.embedding.provider")
                    .enumType(EmbedderConfig.Provider.class)
                    .defaultValue(EmbedderConfig.Provider.MINILM)
                    .withDescription(
                            "MINILM (all-MiniLM-L6-v2 quantized, in process, 384 dimensions) or"
                                    + " OPENAI (any OpenAI-compatible /v1/embeddings endpoint:"
                                    + " vLLM, Ollama, OpenAI; key from"
                                    + " SUBSTRATE_EMBEDDINGS_API_KEY).");

    public static final ConfigOption<String> EMBEDDING_URL =
            key("vectors.embedding.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "OPENAI: the endpoint up to /embeddings, e.g."
                                    + " http://127.0.0.1:11434/v1.");

    public static final ConfigOption<String> EMBEDDING_MODEL =
            key("vectors.embedding.model")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("OPENAI: the model name the endpoint serves.");

    public static final ConfigOption<String> EMBEDDING_MODEL_VERSION =
            key("vectors.embedding.model-version")
                    .stringType()
                    .defaultValue("1")
                    .withDescription(
                            "OPENAI: stored with each vector as <model>@<version>; change it when"
                                    + " the endpoint's model changes, then re-embed (substrate"
                                    + " search --reembed).");

    public static final ConfigOption<Integer> EMBEDDING_DIMENSIONS =
            key("vectors.embedding.dimensions")
                    .intType()
                    .defaultValue(0)
                    .withDescription(
                            "OPENAI: the vectors' dimension; 0 takes it from the first answer.");

    public static final ConfigOption<Integer> BATCH_SIZE =
            key("vectors.embedding.batch-size")
                    .intType()
                    .defaultValue(16)
                    .withDescription("Documents embedded together (one request, one batch).");

    public static final ConfigOption<Integer> MAX_BACKLOG =
            key("vectors.embedding.max-backlog")
                    .intType()
                    .defaultValue(10_000)
                    .withDescription(
                            "Documents a subtask holds for embedding (they are part of every"
                                    + " checkpoint). The pipeline never waits for the embedder;"
                                    + " when it has been slower than the documents for this"
                                    + " long, new documents go to dead letters (rule"
                                    + " vector-embedding) with the reason instead of growing"
                                    + " memory without bound.");

    public static final ConfigOption<Duration> MAX_DELAY =
            key("vectors.embedding.max-delay")
                    .durationType()
                    .defaultValue(Duration.ofMillis(50))
                    .withDescription("How long a document waits for its batch to fill.");

    public static final ConfigOption<Integer> MAX_ATTEMPTS =
            key("vectors.embedding.max-attempts")
                    .intType()
                    .defaultValue(5)
                    .withDescription(
                            "OPENAI: attempts per request (backoff from 200 ms to 5 s) before"
                                    + " its documents go to dead letters.");

    public static final ConfigOption<Duration> REQUEST_TIMEOUT =
            key("vectors.embedding.request-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("OPENAI: how long one request may take.");

    public static final ConfigOption<String> WORK_DIR =
            key("vectors.embedding.work-dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "MINILM: where native libraries are unpacked. Default: 'embeddings'"
                                    + " beside the index (.substrate/embeddings).");

    private VectorOptions() {}

    /**
     * The store {@code config} names.
     *
     * @throws IllegalArgumentException when the Lucene index has no directory
     */
    public static VectorStoreConfig store(ReadableConfig config) {
        return switch (config.get(STORE)) {
            case LUCENE -> VectorStoreConfig.lucene(indexPath(config));
            case QDRANT ->
                    VectorStoreConfig.qdrant(config.get(QDRANT_URL), config.get(QDRANT_COLLECTION));
        };
    }

    /**
     * The embedder {@code config} names.
     *
     * @throws IllegalArgumentException when an OpenAI-compatible endpoint lacks its URL or model
     */
    public static EmbedderConfig embedder(ReadableConfig config) {
        return switch (config.get(EMBEDDING_PROVIDER)) {
            case MINILM -> EmbedderConfig.miniLm(workDir(config));
            case OPENAI -> {
                String url = config.getOptional(EMBEDDING_URL).orElse(null);
                String model = config.getOptional(EMBEDDING_MODEL).orElse(null);
                if (url == null || model == null) {
                    throw new IllegalArgumentException(
                            "vectors.embedding.provider OPENAI needs --"
                                    + EMBEDDING_URL.key()
                                    + " (e.g. http://127.0.0.1:11434/v1) and --"
                                    + EMBEDDING_MODEL.key()
                                    + " (e.g. nomic-embed-text)");
                }
                yield EmbedderConfig.openAi(url, model, config.get(EMBEDDING_MODEL_VERSION))
                        .withRequests(
                                config.get(BATCH_SIZE),
                                config.get(MAX_ATTEMPTS),
                                config.get(REQUEST_TIMEOUT));
            }
        };
    }

    /** The vectors' dimension when known before the first document, else 0. */
    public static int dimensions(ReadableConfig config) {
        return config.get(EMBEDDING_PROVIDER) == EmbedderConfig.Provider.MINILM
                ? MiniLmEmbedder.DIMENSIONS
                : config.get(EMBEDDING_DIMENSIONS);
    }

    /** {@code vectors.path}, or {@code vectors} beside a local warehouse. */
    public static Path indexPath(ReadableConfig config) {
        return config.getOptional(PATH)
                .map(Path::of)
                .orElseGet(() -> besideWarehouse(config, "vectors"));
    }

    private static Path workDir(ReadableConfig config) {
        if (config.getOptional(WORK_DIR).isPresent()) {
            return Path.of(config.get(WORK_DIR));
        }
        if (config.get(STORE) == Store.LUCENE) {
            Path index = indexPath(config).toAbsolutePath();
            return index.resolveSibling("embeddings");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "substrate-embeddings");
    }

    private static Path besideWarehouse(ReadableConfig config, String name) {
        String warehouse = config.get(SubstrateOptions.CATALOG_WAREHOUSE);
        Path local = localPath(warehouse);
        if (local == null) {
            throw new IllegalArgumentException(
                    "vectors.path is not set and the catalog's warehouse ("
                            + warehouse
                            + ") is not a local directory: set --vectors.path to a directory on"
                            + " the TaskManager that runs the vector committer, use --vectors.store"
                            + " QDRANT, or --vectors.enabled false");
        }
        Path parent = local.toAbsolutePath().getParent();
        return parent == null ? Path.of(name) : parent.resolve(name);
    }

    private static Path localPath(String location) {
        if (!location.contains("://") && !location.startsWith("file:")) {
            return Path.of(location);
        }
        URI uri = URI.create(location);
        return "file".equals(uri.getScheme()) ? Path.of(uri) : null;
    }
}
