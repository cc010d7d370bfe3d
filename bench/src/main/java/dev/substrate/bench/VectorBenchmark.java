package dev.substrate.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.substrate.sinks.vector.BackgroundEmbedding;
import dev.substrate.sinks.vector.DocumentTypeInfo;
import dev.substrate.sinks.vector.VectorStoreSink;
import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.SearchMode;
import dev.substrate.vectors.StoredHit;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.VectorSearch;
import dev.substrate.vectors.embedding.EmbedderConfig;
import dev.substrate.vectors.embedding.EmbeddingException;
import dev.substrate.vectors.embedding.MiniLmEmbedder;
import dev.substrate.vectors.store.LuceneVectorStore;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The vector layer's numbers (issue 14), in one JVM on the real MiniLM model and Lucene index:
 *
 * <ol>
 *   <li><b>throughput</b>: documents embedded and indexed per second for each embedding batch size
 *       (embed in batches, then one commit, as the sink does per checkpoint);
 *   <li><b>query latency</b> at {@code --corpus} documents (default 100,000) for kNN, BM25 and
 *       hybrid, p50/p99 over {@code --queries} queries, embedding the query included;
 *   <li><b>freshness</b>: a Flink job (generator → the job's {@link BackgroundEmbedding} → {@link
 *       VectorStoreSink}, checkpoints every {@code --checkpoint-ms}) fed at {@code --rate}
 *       documents/s, each stamped with the wall clock when generated; a reader beside it (as {@code
 *       /api/search} reads) measures when each becomes searchable.
 * </ol>
 *
 * <p>Embedding 100,000 distinct texts takes minutes on 2 cores, and HNSW's search cost depends on
 * the number and dimension of vectors, not on what they mean: the corpus takes the {@code --unique}
 * MiniLM vectors of distinct texts and adds jittered copies (Gaussian noise, σ 0.05 per dimension,
 * normalized) with their own ids, node and ticket words, up to {@code --corpus}.
 *
 * <pre>
 * java $OPENS -cp "$CP" dev.substrate.bench.VectorBenchmark --batch-sizes 1,16,64 \
 *     --docs 512 --corpus 100000 --unique 4096 --queries 200 --rate 100 --seconds 30
 * </pre>
 */
public final class VectorBenchmark {

    private static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");

    private VectorBenchmark() {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path work = Files.createTempDirectory("substrate-vector-bench-");
        System.out.printf(
                "machine: %d cores, load average %.1f, %s, max heap %d MiB%n",
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);
        try (MiniLmEmbedder embedder = MiniLmEmbedder.open(work.resolve("embeddings"))) {
            List<float[]> vectors = new ArrayList<>();
            if (!options.skipThroughput) {
                throughput(embedder, options, work, vectors);
            }
            if (!options.skipQueries) {
                queries(embedder, options, work, vectors);
            }
        }
        if (!options.skipFreshness) {
            freshness(options, work);
        }
        deleteRecursively(work);
    }

    /**
     * Documents/s for each batch size: embed in batches of that size, then commit them. Each batch
     * size runs twice on the same texts, first through langchain4j's own model (the baseline: what
     * {@link MiniLmEmbedder} was before) and then through {@link MiniLmEmbedder}, so that the ratio
     * between them is measured under the same load; both by the wall clock and per CPU second the
     * process used (less sensitive to what else the machine runs).
     */
    private static void throughput(
            MiniLmEmbedder embedder, Options options, Path work, List<float[]> vectors)
            throws EmbeddingException {
        AllMiniLmL6V2QuantizedEmbeddingModel baseline = new AllMiniLmL6V2QuantizedEmbeddingModel();
        List<String> warmup = texts(1_000_000, 64);
        embedder.embed(warmup); // JIT and ONNX Runtime's first runs
        baseline.embedAll(warmup.stream().map(TextSegment::from).toList());
        System.out.printf(
                "%nTHROUGHPUT (%d distinct documents per batch size, MiniLM %s, Lucene commit;"
                        + " baseline = langchain4j's embedAll in this JVM, load average %.1f)%n",
                options.docs,
                MiniLmEmbedder.modelId(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(
                "%6s %13s %13s %7s %13s %13s %7s %10s %12s%n",
                "batch",
                "base docs/s",
                "new docs/s",
                "ratio",
                "base docs/cpu",
                "new docs/cpu",
                "ratio",
                "index ms",
                "total docs/s");
        long offset = 0;
        for (int batchSize : options.batchSizes) {
            List<String> texts = texts(offset, options.docs);
            long baseCpu = processCpuNanos();
            long baseStart = System.nanoTime();
            for (int from = 0; from < texts.size(); from += batchSize) {
                baseline.embedAll(
                        texts.subList(from, Math.min(texts.size(), from + batchSize)).stream()
                                .map(TextSegment::from)
                                .toList());
            }
            long baseNanos = System.nanoTime() - baseStart;
            baseCpu = processCpuNanos() - baseCpu;
            long cpu = processCpuNanos();
            long start = System.nanoTime();
            List<float[]> embedded = new ArrayList<>(texts.size());
            for (int from = 0; from < texts.size(); from += batchSize) {
                embedded.addAll(
                        embedder.embed(
                                texts.subList(from, Math.min(texts.size(), from + batchSize))));
            }
            long embedNanos = System.nanoTime() - start;
            cpu = processCpuNanos() - cpu;
            long indexStart = System.nanoTime();
            try (LuceneVectorStore store =
                    LuceneVectorStore.openForWriting(work.resolve("throughput-" + batchSize))) {
                List<EmbeddedDocument> documents = new ArrayList<>();
                for (int i = 0; i < texts.size(); i++) {
                    documents.add(
                            EmbeddedDocument.embedded(
                                    document(offset + i, texts.get(i)),
                                    embedder.model(),
                                    embedded.get(i)));
                }
                store.commit(new VectorBatch(documents, List.of(), T0));
            }
            long indexNanos = System.nanoTime() - indexStart;
            double base = texts.size() / (baseNanos / 1e9);
            double now = texts.size() / (embedNanos / 1e9);
            double basePerCpu = texts.size() / (baseCpu / 1e9);
            double nowPerCpu = texts.size() / (cpu / 1e9);
            System.out.printf(
                    "%6d %13.0f %13.0f %7.2f %13.0f %13.0f %7.2f %10.1f %12.0f%n",
                    batchSize,
                    base,
                    now,
                    now / base,
                    basePerCpu,
                    nowPerCpu,
                    nowPerCpu / basePerCpu,
                    indexNanos / 1e6,
                    texts.size() / ((embedNanos + indexNanos) / 1e9));
            vectors.addAll(embedded);
            offset += texts.size();
        }
    }

    /** CPU time of this process so far (all threads, ONNX Runtime's native ones included). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** p50/p99 query latency per mode over a corpus of {@code options.corpus} documents. */
    private static void queries(
            MiniLmEmbedder embedder, Options options, Path work, List<float[]> vectors)
            throws EmbeddingException {
        long offset = 2_000_000;
        while (vectors.size() < options.unique) {
            int n = Math.min(64, options.unique - vectors.size());
            vectors.addAll(embedder.embed(texts(offset + vectors.size(), n)));
        }
        Path index = work.resolve("corpus");
        Random random = new Random(42);
        long buildStart = System.nanoTime();
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(index)) {
            List<EmbeddedDocument> chunk = new ArrayList<>();
            for (int i = 0; i < options.corpus; i++) {
                int base = i % options.unique;
                float[] vector =
                        i < options.unique ? vectors.get(base) : jitter(vectors.get(base), random);
                String text =
                        IncidentTexts.text(offset + base)
                                + " Node n"
                                + (i % 20_000)
                                + " ref R-"
                                + i;
                chunk.add(EmbeddedDocument.embedded(document(i, text), embedder.model(), vector));
                if (chunk.size() == 10_000 || i == options.corpus - 1) {
                    store.commit(new VectorBatch(chunk, List.of(), T0.plusSeconds(i)));
                    chunk = new ArrayList<>();
                }
            }
        }
        System.out.printf(
                "%nQUERIES over %,d documents (%,d distinct MiniLM vectors plus jittered copies),"
                        + " index built in %.1f s; k=10; %d queries per mode after %d warm-up%n",
                options.corpus,
                options.unique,
                (System.nanoTime() - buildStart) / 1e9,
                options.queries,
                options.warmup);
        long[][] asWritten = queryLatencies(embedder, index, options);
        long mergeStart = System.nanoTime();
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(index)) {
            store.compact(1);
        }
        System.out.printf(
                "%nafter compact(1) (force-merge into one segment, %.1f s; load average %.1f):%n",
                (System.nanoTime() - mergeStart) / 1e9,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        long[][] merged = queryLatencies(embedder, index, options);
        System.out.printf("%nratio as written / merged:%n");
        System.out.printf("%-22s %9s %9s%n", "mode", "p50", "p99");
        for (int m = 0; m < QUERY_MODES.length; m++) {
            System.out.printf(
                    "%-22s %9.2f %9.2f%n",
                    QUERY_MODES[m],
                    percentile(sorted(asWritten[m]), 0.50) / percentile(sorted(merged[m]), 0.50),
                    percentile(sorted(asWritten[m]), 0.99) / percentile(sorted(merged[m]), 0.99));
        }
    }

    private static final String[] QUERY_MODES = {
        "kNN", "BM25", "hybrid", "hybrid, kind filter", "(query embedding)"
    };

    /** The latencies of each of {@link #QUERY_MODES} on the index as it is now, printed. */
    private static long[][] queryLatencies(MiniLmEmbedder embedder, Path index, Options options)
            throws EmbeddingException {
        try (LuceneVectorStore store = LuceneVectorStore.openForReading(index)) {
            System.out.printf(
                    "%d segment(s), load average %.1f%n",
                    store.segments(),
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.printf(
                    "%-22s %9s %9s %9s %9s%n", "mode", "p50 ms", "p99 ms", "max ms", "mean ms");
            VectorSearch search = new VectorSearch(store, embedder);
            DocumentFilter kind = DocumentFilter.parse(List.of("kind=node-health"));
            long[][] latencies = {
                measure(search, SearchMode.KNN, DocumentFilter.none(), options),
                measure(search, SearchMode.BM25, DocumentFilter.none(), options),
                measure(search, SearchMode.HYBRID, DocumentFilter.none(), options),
                measure(search, SearchMode.HYBRID, kind, options),
                new long[options.queries]
            };
            for (int i = 0; i < options.queries; i++) {
                long start = System.nanoTime();
                embedder.embed(List.of(IncidentTexts.query(i)));
                latencies[4][i] = System.nanoTime() - start;
            }
            for (int m = 0; m < QUERY_MODES.length; m++) {
                report(QUERY_MODES[m], latencies[m]);
            }
            return latencies;
        }
    }

    private static long[] sorted(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted;
    }

    private static long[] measure(
            VectorSearch search, SearchMode mode, DocumentFilter filter, Options options) {
        for (int i = 0; i < options.warmup; i++) {
            search.search(IncidentTexts.query(10_000 + i), mode, 10, filter);
        }
        long[] nanos = new long[options.queries];
        for (int i = 0; i < options.queries; i++) {
            long start = System.nanoTime();
            int hits = search.search(IncidentTexts.query(i), mode, 10, filter).hits().size();
            nanos[i] = System.nanoTime() - start;
            if (hits == 0 && mode != SearchMode.BM25) {
                throw new IllegalStateException(mode + " found nothing for query " + i);
            }
        }
        return nanos;
    }

    /**
     * Event → searchable: the production embedding operator and sink in a Flink job with
     * checkpoints, a reader polling beside it.
     */
    private static void freshness(Options options, Path work) throws Exception {
        Path index = work.resolve("freshness");
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        env.enableCheckpointing(options.checkpointMillis);
        long count = (long) options.rate * options.seconds;
        DataStream<VectorDocument> documents =
                env.fromSource(
                        new DataGeneratorSource<>(
                                seq -> document(seq, Instant.now(), IncidentTexts.text(seq)),
                                count,
                                RateLimiterStrategy.perSecond(options.rate),
                                DocumentTypeInfo.DOCUMENTS),
                        WatermarkStrategy.<VectorDocument>forMonotonousTimestamps()
                                .withTimestampAssigner((d, t) -> d.time().toEpochMilli()),
                        "documents");
        VectorStoreSink.writeFrom(
                BackgroundEmbedding.embed(
                        documents,
                        BackgroundEmbedding.settings(
                                        EmbedderConfig.miniLm(work.resolve("embeddings")))
                                .batchSize(64)
                                .maxDelay(Duration.ofMillis(50)),
                        "embed"),
                VectorStoreConfig.lucene(index),
                MiniLmEmbedder.DIMENSIONS,
                "store");
        JobClient job = env.executeAsync("vector freshness");
        long[] latencies = new long[(int) count];
        int seen = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(options.seconds + 120L).toNanos();
        LuceneVectorStore reader = null;
        try {
            while (seen < count && System.nanoTime() < deadline) {
                if (reader == null) {
                    try {
                        reader = LuceneVectorStore.openForReading(index);
                    } catch (RuntimeException notYet) {
                        Thread.sleep(10);
                        continue;
                    }
                }
                Optional<StoredHit> next = reader.get(id(seen));
                if (next.isPresent()) {
                    latencies[seen] =
                            Duration.between(next.get().document().time(), Instant.now()).toNanos();
                    seen++;
                } else {
                    Thread.sleep(5);
                }
            }
        } finally {
            if (reader != null) {
                reader.close();
            }
            try {
                job.cancel().get();
            } catch (IllegalStateException | ExecutionException finished) {
                // the bounded job ended by itself (its cluster with it) once it had indexed all
            }
        }
        long[] measured = Arrays.copyOf(latencies, seen);
        System.out.printf(
                "%nFRESHNESS (generated → searchable by a reader beside the job): %d docs/s for"
                        + " %d s, checkpoints every %d ms, embedding batch 64 (max delay 50 ms),"
                        + " parallelism 1; %,d of %,d documents seen%n",
                options.rate, options.seconds, options.checkpointMillis, seen, count);
        System.out.printf("%-22s %9s %9s %9s %9s%n", "", "p50 ms", "p99 ms", "max ms", "mean ms");
        report("event → searchable", measured);
    }

    private static void report(String label, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(
                "%-22s %9.2f %9.2f %9.2f %9.2f%n",
                label,
                percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6,
                sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6,
                Arrays.stream(sorted).average().orElse(Double.NaN) / 1e6);
    }

    /** Nearest rank. */
    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static float[] jitter(float[] base, Random random) {
        float[] vector = new float[base.length];
        double norm = 0;
        for (int d = 0; d < base.length; d++) {
            vector[d] = base[d] + (float) (random.nextGaussian() * 0.05);
            norm += vector[d] * vector[d];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int d = 0; d < base.length; d++) {
            vector[d] *= scale;
        }
        return vector;
    }

    private static List<String> texts(long from, int n) {
        List<String> texts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            texts.add(IncidentTexts.text(from + i));
        }
        return texts;
    }

    private static String id(long seq) {
        return "bench:" + seq;
    }

    private static VectorDocument document(long seq, String text) {
        return document(seq, T0.plusSeconds(seq), text);
    }

    private static VectorDocument document(long seq, Instant time, String text) {
        return VectorDocument.builder()
                .id(id(seq))
                .kind(IncidentTexts.kind(seq))
                .text(text)
                .time(time)
                .metadata("cluster", IncidentTexts.cluster(seq))
                .metadata("severity", seq % 3 == 0 ? "critical" : "warning")
                .source("bench", "seq = " + seq)
                .build();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** The command line. */
    private static final class Options {
        int[] batchSizes = {1, 16, 64};
        int docs = 512;
        int corpus = 100_000;
        int unique = 4_096;
        int queries = 200;
        int warmup = 20;
        int rate = 100;
        int seconds = 30;
        long checkpointMillis = 1_000;
        boolean skipThroughput;
        boolean skipQueries;
        boolean skipFreshness;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--batch-sizes" ->
                            o.batchSizes =
                                    Arrays.stream(args[++i].split(","))
                                            .mapToInt(s -> Integer.parseInt(s.trim()))
                                            .toArray();
                    case "--docs" -> o.docs = Integer.parseInt(args[++i]);
                    case "--corpus" -> o.corpus = Integer.parseInt(args[++i]);
                    case "--unique" -> o.unique = Integer.parseInt(args[++i]);
                    case "--queries" -> o.queries = Integer.parseInt(args[++i]);
                    case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                    case "--rate" -> o.rate = Integer.parseInt(args[++i]);
                    case "--seconds" -> o.seconds = Integer.parseInt(args[++i]);
                    case "--checkpoint-ms" -> o.checkpointMillis = Long.parseLong(args[++i]);
                    case "--skip-throughput" -> o.skipThroughput = true;
                    case "--skip-queries" -> o.skipQueries = true;
                    case "--skip-freshness" -> o.skipFreshness = true;
                    default ->
                            throw new IllegalArgumentException(
                                    "Unknown option "
                                            + arg
                                            + "; see VectorBenchmark's Javadoc for the options");
                }
            }
            if (o.unique < 1 || o.corpus < o.unique) {
                throw new IllegalArgumentException("--corpus must be at least --unique (>= 1)");
            }
            return o;
        }
    }
}
