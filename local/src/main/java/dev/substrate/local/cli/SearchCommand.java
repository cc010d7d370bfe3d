package dev.substrate.local.cli;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.vectors.VectorOptions;
import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.ReEmbedder;
import dev.substrate.vectors.SearchAnswer;
import dev.substrate.vectors.SearchHit;
import dev.substrate.vectors.SearchMode;
import dev.substrate.vectors.VectorSearch;
import dev.substrate.vectors.VectorStore;
import dev.substrate.vectors.VectorStoreException;
import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.EmbedderConfig;
import dev.substrate.vectors.http.SearchApi;
import dev.substrate.vectors.store.LuceneVectorStore;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code substrate search}: hybrid, kNN or BM25 search over the vector index the job writes (while
 * it writes), and {@code --reembed} to embed again the documents an older model embedded.
 */
@Command(
        name = "search",
        mixinStandardHelpOptions = true,
        description = {
            "Searches the documents the job indexed (node-health incidents, GPU anomalies,"
                    + " enterprise events with text, dead letters): kNN on the query's embedding,"
                    + " BM25 on its words, or both fused by reciprocal rank (hybrid, the default)."
                    + " Prints the nearest documents with their scores, kind, time and lineage"
                    + " (lake table and row), and the event time the index is complete up to.",
            "Reads the index while a job writes it. With --reembed (and no text), embeds again,"
                    + " with the configured model, every document an older model embedded; stop"
                    + " the job first (it holds the index's write lock)."
        })
public final class SearchCommand implements Callable<Integer> {

    /** How long --reembed waits for a writer (a running job) to let go of the index. */
    private static final Duration REEMBED_LOCK_WAIT = Duration.ofSeconds(2);

    /** How much of a document's text a hit shows. */
    private static final int TEXT_SHOWN = 240;

    @Spec CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "<text>",
            description = "What to look for, in words.")
    String query;

    @Option(
            names = "--k",
            defaultValue = "10",
            description = "How many documents to show (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(
            names = "--filter",
            paramLabel = "key=value",
            description =
                    "Only documents whose metadata key has this value; repeat for more"
                            + " (the same key twice: either value). Keys: kind, source_table,"
                            + " model, severity, region, cluster, tenant, node, ...")
    List<String> filters = new ArrayList<>();

    @Option(
            names = "--mode",
            defaultValue = "hybrid",
            description = "knn, bm25 or hybrid (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--json", description = "Print the answer as /api/search returns it (JSON).")
    boolean json;

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate",
            description =
                    "The data directory of substrate local; the index is its vectors/"
                            + " (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--vectors-path",
            description = "The Lucene index directory, when not <data-dir>/vectors.")
    Path vectorsPath;

    @Option(
            names = "--qdrant",
            paramLabel = "<url>",
            description =
                    "Search this Qdrant instead of a Lucene index (API key from"
                            + " SUBSTRATE_QDRANT_API_KEY).")
    String qdrantUrl;

    @Option(
            names = "--qdrant-collection",
            defaultValue = "substrate",
            description = "The Qdrant collection (default: ${DEFAULT-VALUE}).")
    String qdrantCollection;

    @Option(
            names = "--embedding-url",
            description =
                    "An OpenAI-compatible endpoint up to /embeddings (e.g."
                            + " http://127.0.0.1:11434/v1; key from SUBSTRATE_EMBEDDINGS_API_KEY)"
                            + " instead of MiniLM in process; the job's model.")
    String embeddingUrl;

    @Option(names = "--embedding-model", description = "With --embedding-url: the model name.")
    String embeddingModel;

    @Option(
            names = "--embedding-model-version",
            defaultValue = "1",
            description = "With --embedding-url: the model version (default: ${DEFAULT-VALUE}).")
    String embeddingModelVersion;

    @Option(
            names = "--reembed",
            description =
                    "Embed again, with the configured model, every document an older model"
                            + " embedded (instead of searching).")
    boolean reembed;

    @Option(
            names = "--batch-size",
            defaultValue = "64",
            description =
                    "With --reembed: documents embedded together (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() {
        if (System.getProperty("substrate.log.dir") == null) {
            System.setProperty(
                    "substrate.log.dir", dataDir.toAbsolutePath().resolve("logs").toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Configuration config = vectorConfig();
            VectorStoreConfig store = VectorOptions.store(config);
            EmbedderConfig embedder = VectorOptions.embedder(config);
            if (reembed) {
                if (query != null) {
                    throw new IllegalArgumentException(
                            "--reembed re-embeds the whole index: give it no search text");
                }
                return reembed(store, embedder, out);
            }
            if (query == null || query.isBlank()) {
                throw new IllegalArgumentException(
                        "Say what to look for: substrate search \"<text>\" [--k N]"
                                + " [--filter key=value] [--mode knn|bm25|hybrid]");
            }
            SearchMode searchMode = SearchMode.parse(mode);
            DocumentFilter filter = DocumentFilter.parse(filters);
            return search(store, embedder, searchMode, filter, out);
        } catch (IllegalArgumentException e) {
            err.println("substrate search: " + e.getMessage());
            return 2;
        } catch (VectorStoreException | IllegalStateException e) {
            err.println("substrate search: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int search(
            VectorStoreConfig storeConfig,
            EmbedderConfig embedderConfig,
            SearchMode searchMode,
            DocumentFilter filter,
            PrintWriter out) {
        Map<String, String> environment = System.getenv();
        try (VectorStore store = storeConfig.openForReading(environment);
                Embedder embedder =
                        searchMode.usesVectors() ? embedderConfig.open(environment) : null) {
            SearchAnswer answer =
                    new VectorSearch(store, embedder).search(query, searchMode, k, filter);
            if (json) {
                out.println(SearchApi.toJson(answer).toPrettyString());
            } else {
                print(answer, storeConfig, out);
            }
            return 0;
        }
    }

    private int reembed(
            VectorStoreConfig storeConfig, EmbedderConfig embedderConfig, PrintWriter out) {
        Map<String, String> environment = System.getenv();
        // Reading first: a missing index is an error here, not a new empty one.
        storeConfig.openForReading(environment).close();
        try (Embedder embedder = embedderConfig.open(environment);
                VectorStore store =
                        storeConfig.kind() == VectorStoreConfig.Kind.LUCENE
                                ? LuceneVectorStore.openForWriting(
                                        storeConfig.path(), REEMBED_LOCK_WAIT)
                                : storeConfig.openForWriting(environment, embedder.dimensions())) {
            out.printf(
                    "Re-embedding with %s the documents of other models in %s...%n",
                    embedder.model(), storeConfig);
            out.flush();
            ReEmbedder.Report report =
                    new ReEmbedder(store, embedder, batchSize)
                            .run(
                                    line -> {
                                        out.println(line);
                                        out.flush();
                                    });
            if (report.stale() == 0) {
                out.println("Every document is already embedded by " + report.model() + ".");
            } else {
                out.printf(
                        "Re-embedded %,d of %,d documents with %s.%n",
                        report.reembedded(), report.stale(), report.model());
            }
            if (report.failed() > 0) {
                out.printf(
                        "%,d kept their old vector (they could not be embedded):%n",
                        report.failed());
                report.failures().forEach(failure -> out.println("  " + failure));
                return 1;
            }
            return 0;
        }
    }

    private void print(SearchAnswer answer, VectorStoreConfig store, PrintWriter out) {
        out.printf(
                "%d of %,d documents for \"%s\" (%s, k=%d%s) in %s, complete up to %s%n",
                answer.hits().size(),
                answer.documents(),
                answer.query(),
                answer.mode().label(),
                answer.k(),
                answer.filter().isEmpty() ? "" : ", filter " + answer.filter(),
                store,
                answer.completeUpToText());
        int rank = 1;
        for (SearchHit hit : answer.hits()) {
            out.printf(
                    "%n%2d. %-9.4f %-14s %s  %s%n",
                    rank++, hit.score(), hit.document().kind(), hit.document().time(), hit.id());
            out.printf("    %s   model %s%n", ranks(hit), hit.model());
            out.printf(
                    "    lineage: %s WHERE %s%n",
                    hit.document().sourceTable(), hit.document().sourceRow());
            if (!hit.document().metadata().isEmpty()) {
                out.println(
                        "    "
                                + hit.document().metadata().entrySet().stream()
                                        .map(e -> e.getKey() + "=" + e.getValue())
                                        .collect(Collectors.joining(" ")));
            }
            out.println("    " + shorten(hit.document().text()));
        }
        for (String warning : answer.warnings()) {
            out.println("\nNote: " + warning);
        }
        out.printf("%ntook %.1f ms%n", answer.tookMicros() / 1000.0);
    }

    private static String ranks(SearchHit hit) {
        List<String> parts = new ArrayList<>();
        if (hit.knnRank() != null) {
            parts.add(String.format("knn #%d (%.3f)", hit.knnRank(), hit.knnScore()));
        }
        if (hit.bm25Rank() != null) {
            parts.add(String.format("bm25 #%d (%.2f)", hit.bm25Rank(), hit.bm25Score()));
        }
        return String.join("  ", parts);
    }

    private static String shorten(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() <= TEXT_SHOWN ? line : line.substring(0, TEXT_SHOWN - 1) + "…";
    }

    /** The job's vector options from these flags, so search finds what the job wrote. */
    private Configuration vectorConfig() {
        if (k < 1) {
            throw new IllegalArgumentException("--k must be at least 1, was " + k);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1, was " + batchSize);
        }
        Configuration config = new Configuration();
        config.set(
                SubstrateOptions.CATALOG_WAREHOUSE,
                dataDir.toAbsolutePath().resolve("warehouse").toString());
        if (vectorsPath != null) {
            config.set(VectorOptions.PATH, vectorsPath.toAbsolutePath().toString());
        }
        if (qdrantUrl != null) {
            config.set(VectorOptions.STORE, VectorOptions.Store.QDRANT);
            config.set(VectorOptions.QDRANT_URL, qdrantUrl);
            config.set(VectorOptions.QDRANT_COLLECTION, qdrantCollection);
        }
        if (embeddingUrl != null || embeddingModel != null) {
            config.set(VectorOptions.EMBEDDING_PROVIDER, EmbedderConfig.Provider.OPENAI);
            if (embeddingUrl != null) {
                config.set(VectorOptions.EMBEDDING_URL, embeddingUrl);
            }
            if (embeddingModel != null) {
                config.set(VectorOptions.EMBEDDING_MODEL, embeddingModel);
            }
            config.set(VectorOptions.EMBEDDING_MODEL_VERSION, embeddingModelVersion);
        }
        config.set(VectorOptions.BATCH_SIZE, batchSize);
        return config;
    }
}
