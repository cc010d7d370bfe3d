package dev.substrate.vectors.store;

import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.StoreStatus;
import dev.substrate.vectors.StoredHit;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.VectorStore;
import dev.substrate.vectors.VectorStoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.annotation.Nullable;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.BytesRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded vector store: a Lucene index on local disk holding each document once (keyed by id),
 * its text for BM25 and its vector in an HNSW graph (cosine similarity). Commits are Lucene
 * commits, each carrying the event time the store is complete up to in its user data; readers see
 * only committed documents.
 *
 * <p>One process writes ({@link #openForWriting}: the job's vector committer, or {@code substrate
 * search --reembed}), any number read at the same time ({@link #openForReading}: {@code substrate
 * search}, {@code /api/search}); a reader picks up each new commit within {@value
 * #REFRESH_INTERVAL_MS} ms (near-real-time).
 *
 * <pre>{@code
 * try (LuceneVectorStore store = LuceneVectorStore.openForWriting(dataDir.resolve("vectors"))) {
 *     store.commit(new VectorBatch(embedded, List.of(), watermark));
 * }
 * }</pre>
 */
public final class LuceneVectorStore implements VectorStore {

    static final String ID = "id";
    static final String KIND = "kind";
    static final String TEXT = "text";
    static final String VECTOR = "vector";
    static final String TIME = "time";
    static final String MODEL = "model";
    static final String SOURCE_TABLE = "source_table";
    static final String SOURCE_ROW = "source_row";
    static final String META = "meta.";

    /** Commit user data: the event time (epoch millis) the store is complete up to. */
    static final String COMPLETE_UP_TO = "substrate.complete-up-to";

    /** Commit user data: the vectors' dimension. */
    static final String DIMENSIONS = "substrate.dimensions";

    /** How often a reader looks for a newer commit, at most. */
    static final long REFRESH_INTERVAL_MS = 50;

    /** How long {@link #openForWriting} waits for another writer (a job restarting) to let go. */
    static final Duration DEFAULT_LOCK_WAIT = Duration.ofSeconds(30);

    /**
     * The writers open in this JVM, by index directory, with the thread that opened each. A task of
     * a job that Flink cancels while it starts can die without closing its writer; Lucene then
     * refuses every later writer in this JVM ("Lock held by this virtual machine") and the job can
     * never restart on this TaskManager. A writer whose opening thread has ended is such a leak.
     */
    private static final Map<Path, LuceneVectorStore> WRITERS = new ConcurrentHashMap<>();

    private static final Logger LOG = LoggerFactory.getLogger(LuceneVectorStore.class);

    private final Path path;
    private final Directory directory;
    @Nullable private final IndexWriter writer;

    /** The thread that opened this store for writing; null for a reader. */
    @Nullable private final Thread owner;

    private final SearcherManager searchers;
    private volatile long lastRefresh;
    private volatile Map<String, String> committed;
    @Nullable private volatile CachedStatus status;

    private LuceneVectorStore(
            Path path, Directory directory, @Nullable IndexWriter writer, SearcherManager searchers)
            throws IOException {
        this.path = path;
        this.directory = directory;
        this.writer = writer;
        this.searchers = searchers;
        this.owner = writer == null ? null : Thread.currentThread();
        this.committed = commitData();
        this.lastRefresh = System.currentTimeMillis();
    }

    /**
     * Opens (creating if absent) the index in {@code path} for writing, waiting up to 30 s for a
     * previous writer in this JVM or another process to close it.
     *
     * @throws VectorStoreException when another writer holds the index longer than that
     */
    public static LuceneVectorStore openForWriting(Path path) {
        return openForWriting(path, DEFAULT_LOCK_WAIT);
    }

    /** As {@link #openForWriting(Path)}, waiting at most {@code lockWait} for the write lock. */
    public static LuceneVectorStore openForWriting(Path path, Duration lockWait) {
        long deadline = System.nanoTime() + lockWait.toNanos();
        try {
            Files.createDirectories(path);
            Directory directory = FSDirectory.open(path);
            while (true) {
                try {
                    IndexWriterConfig config = new IndexWriterConfig(TextTerms.analyzer());
                    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
                    // Only commit() publishes: a writer closed mid-batch leaves the last commit.
                    config.setCommitOnClose(false);
                    config.setRAMBufferSizeMB(64);
                    config.setMergePolicy(mergePolicy());
                    IndexWriter writer = new IndexWriter(directory, config);
                    if (!DirectoryReader.indexExists(directory)) {
                        writer.commit();
                    }
                    LuceneVectorStore store =
                            new LuceneVectorStore(
                                    path, directory, writer, new SearcherManager(writer, null));
                    WRITERS.put(key(path), store);
                    return store;
                } catch (LockObtainFailedException e) {
                    if (closeLeakedWriter(path)) {
                        continue;
                    }
                    if (System.nanoTime() > deadline) {
                        directory.close();
                        throw new VectorStoreException(
                                "The vector index at "
                                        + path
                                        + " is being written by another process or job (its"
                                        + " write.lock is held): stop that writer (a running"
                                        + " substrate local or job), or use another index"
                                        + " directory (vectors.path)",
                                e);
                    }
                    sleep(200);
                }
            }
        } catch (IOException e) {
            throw new VectorStoreException(
                    "Cannot open the vector index at " + path + " for writing: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Closes the writer of {@code path} this JVM holds when the thread that opened it has ended
     * without closing it (see {@link #WRITERS}); returns whether there was one.
     */
    private static boolean closeLeakedWriter(Path path) {
        LuceneVectorStore leaked = WRITERS.get(key(path));
        if (leaked == null || leaked.owner.isAlive()) {
            return false;
        }
        LOG.warn(
                "Closing the writer of the vector index at {} that the ended thread {} left open"
                        + " (a task cancelled while it started); its uncommitted changes are"
                        + " dropped, the job's restore writes them again",
                path,
                leaked.owner.getName());
        leaked.close();
        return true;
    }

    private static Path key(Path path) {
        return path.toAbsolutePath().normalize();
    }

    /**
     * Opens the index in {@code path} for searching while others write it.
     *
     * @throws VectorStoreException when there is no index there
     */
    public static LuceneVectorStore openForReading(Path path) {
        try {
            if (!Files.isDirectory(path)) {
                throw missing(path);
            }
            Directory directory = FSDirectory.open(path);
            if (!DirectoryReader.indexExists(directory)) {
                directory.close();
                throw missing(path);
            }
            return new LuceneVectorStore(
                    path, directory, null, new SearcherManager(directory, null));
        } catch (IOException e) {
            throw new VectorStoreException(
                    "Cannot read the vector index at " + path + ": " + e.getMessage(), e);
        }
    }

    private static VectorStoreException missing(Path path) {
        return new VectorStoreException(
                "No vector index at "
                        + path.toAbsolutePath()
                        + ": the job's vector stage creates it with its first commit. Run"
                        + " ./substrate local (the index is then .substrate/vectors), or point"
                        + " --vectors-path (vectors.path) at the index");
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized void commit(VectorBatch batch) {
        IndexWriter writer = writable();
        try {
            Map<String, String> data = new HashMap<>(committed);
            int dimensions = Integer.parseInt(data.getOrDefault(DIMENSIONS, "0"));
            for (EmbeddedDocument upsert : batch.upserts()) {
                int length = upsert.vector().length;
                if (dimensions == 0) {
                    dimensions = length;
                } else if (length != dimensions) {
                    throw new VectorStoreException(
                            "Document "
                                    + upsert.id()
                                    + " has a "
                                    + length
                                    + "-dimensional vector ("
                                    + upsert.model()
                                    + ") but the index at "
                                    + path
                                    + " holds "
                                    + dimensions
                                    + "-dimensional vectors: an embedding model of another"
                                    + " dimension needs a new index (another vectors.path)");
                }
                writer.updateDocument(new Term(ID, upsert.id()), toLucene(upsert));
            }
            for (String id : batch.deletions()) {
                writer.deleteDocuments(new Term(ID, id));
            }
            if (dimensions > 0) {
                data.put(DIMENSIONS, Integer.toString(dimensions));
            }
            if (batch.completeUpTo() != null) {
                long previous =
                        Long.parseLong(data.getOrDefault(COMPLETE_UP_TO, "" + Long.MIN_VALUE));
                // A restart re-commits older batches: the store stays complete up to the newest.
                data.put(
                        COMPLETE_UP_TO,
                        Long.toString(Math.max(previous, batch.completeUpTo().toEpochMilli())));
            }
            writer.setLiveCommitData(data.entrySet());
            writer.commit();
            committed = Map.copyOf(data);
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new VectorStoreException(
                    "Cannot commit to the vector index at " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Merges the index into {@code maxSegments} segments and commits: kNN searches one HNSW graph
     * per segment, so a query over ten segments costs several times one over a single graph (see
     * docs/BENCHMARKS.md). Worth it after a bulk load (a re-embedding, an initial fill); it
     * rewrites the whole index and rebuilds the graph, so it takes minutes at 100,000 documents.
     * Readers keep their segments until the merged commit replaces them.
     */
    @Override
    public synchronized void compact(int maxSegments) {
        IndexWriter writer = writable();
        try {
            writer.forceMerge(maxSegments);
            writer.setLiveCommitData(committed.entrySet());
            writer.commit();
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new VectorStoreException(
                    "Cannot merge the vector index at " + path + ": " + e.getMessage(), e);
        }
    }

    /** How many segments the newest commit a reader sees has (one HNSW graph each). */
    public int segments() {
        return withSearcher(searcher -> searcher.getIndexReader().leaves().size());
    }

    @Override
    public List<StoredHit> nearest(float[] vector, int k, DocumentFilter filter) {
        checkFilter(filter);
        return withSearcher(
                searcher -> {
                    FieldInfo field = fieldInfos(searcher.getIndexReader()).fieldInfo(VECTOR);
                    if (field == null) {
                        return List.of();
                    }
                    if (field.getVectorDimension() != vector.length) {
                        throw new VectorStoreException(
                                "The query vector has "
                                        + vector.length
                                        + " dimensions but the index at "
                                        + path
                                        + " holds "
                                        + field.getVectorDimension()
                                        + "-dimensional vectors: search with the embedding model"
                                        + " the index was written with ("
                                        + String.join(", ", status().models().keySet())
                                        + ")");
                    }
                    Query query = new KnnFloatVectorQuery(VECTOR, vector, k, filterQuery(filter));
                    return hits(searcher, searcher.search(query, k));
                });
    }

    @Override
    public List<StoredHit> keyword(String text, int k, DocumentFilter filter) {
        checkFilter(filter);
        List<String> terms = TextTerms.of(text);
        if (terms.isEmpty()) {
            return List.of();
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        for (String term : new TreeSet<>(terms)) {
            query.add(new TermQuery(new Term(TEXT, term)), BooleanClause.Occur.SHOULD);
        }
        query.setMinimumNumberShouldMatch(1);
        Query filterQuery = filterQuery(filter);
        if (filterQuery != null) {
            query.add(filterQuery, BooleanClause.Occur.FILTER);
        }
        Query built = query.build();
        return withSearcher(searcher -> hits(searcher, searcher.search(built, k)));
    }

    @Override
    public Optional<StoredHit> get(String id) {
        return withSearcher(
                searcher -> {
                    TopDocs top = searcher.search(new TermQuery(new Term(ID, id)), 1);
                    return hits(searcher, top).stream().findFirst();
                });
    }

    @Override
    public void forEach(DocumentFilter filter, Consumer<StoredHit> each) {
        checkFilter(filter);
        withSearcher(
                searcher -> {
                    Query query = filterQuery(filter);
                    List<Integer> docs = new ArrayList<>();
                    searcher.search(
                            query == null ? new MatchAllDocsQuery() : query,
                            new SimpleCollector() {
                                private int base;

                                @Override
                                protected void doSetNextReader(LeafReaderContext context) {
                                    base = context.docBase;
                                }

                                @Override
                                public void collect(int doc) {
                                    docs.add(base + doc);
                                }

                                @Override
                                public ScoreMode scoreMode() {
                                    return ScoreMode.COMPLETE_NO_SCORES;
                                }
                            });
                    StoredFields stored = searcher.storedFields();
                    for (int doc : docs) {
                        each.accept(fromLucene(stored.document(doc), 0));
                    }
                    return null;
                });
    }

    @Override
    public long count(DocumentFilter filter) {
        checkFilter(filter);
        Query query = filterQuery(filter);
        return withSearcher(
                searcher ->
                        (long)
                                (query == null
                                        ? searcher.getIndexReader().numDocs()
                                        : searcher.count(query)));
    }

    /**
     * Computed once per reader (and commit data) and then served from memory: every search asks for
     * it, and counting the documents of each kind and model walks their postings when the index
     * holds replaced documents.
     */
    @Override
    public StoreStatus status() {
        return withSearcher(
                searcher -> {
                    IndexReader reader = searcher.getIndexReader();
                    Map<String, String> data = committedData(reader);
                    CachedStatus cached = status;
                    if (cached != null && cached.reader() == reader && cached.data().equals(data)) {
                        return cached.status();
                    }
                    String complete = data.get(COMPLETE_UP_TO);
                    StoreStatus fresh =
                            new StoreStatus(
                                    path.toAbsolutePath().toString(),
                                    reader.numDocs(),
                                    termCounts(searcher, KIND),
                                    termCounts(searcher, MODEL),
                                    Integer.parseInt(data.getOrDefault(DIMENSIONS, "0")),
                                    complete == null
                                            ? null
                                            : Instant.ofEpochMilli(Long.parseLong(complete)));
                    status = new CachedStatus(reader, data, fresh);
                    return fresh;
                });
    }

    /** The status of one reader with one commit data. */
    private record CachedStatus(IndexReader reader, Map<String, String> data, StoreStatus status) {}

    @Override
    public void checkFilter(DocumentFilter filter) {
        if (filter.isEmpty()) {
            return;
        }
        Set<String> known = new TreeSet<>(DocumentFilter.DOCUMENT_KEYS);
        known.addAll(DocumentFilter.WELL_KNOWN_METADATA);
        withSearcher(
                searcher -> {
                    for (FieldInfo field : fieldInfos(searcher.getIndexReader())) {
                        if (field.name.startsWith(META)) {
                            known.add(field.name.substring(META.length()));
                        }
                    }
                    return null;
                });
        for (String key : filter.conditions().keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(
                        "Unknown filter key '"
                                + key
                                + "': no document in "
                                + path
                                + " has it. Filter keys: "
                                + String.join(", ", known));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (writer != null) {
            WRITERS.remove(key(path), this);
        }
        try {
            searchers.close();
            if (writer != null) {
                writer.rollback();
            }
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fewer, larger segments than Lucene's default (ten per tier, 2 MB floor): the job commits a
     * small segment every checkpoint, and each segment is one more HNSW graph every kNN query
     * searches; merging them sooner costs background merge work instead of query latency.
     */
    /** The writer, or the error a store opened for reading gives to a write. */
    private IndexWriter writable() {
        if (writer == null) {
            throw new VectorStoreException(
                    "The vector index at " + path + " was opened for reading only");
        }
        return writer;
    }

    private static TieredMergePolicy mergePolicy() {
        TieredMergePolicy policy = new TieredMergePolicy();
        policy.setSegmentsPerTier(4);
        policy.setFloorSegmentMB(16);
        return policy;
    }

    private static Document toLucene(EmbeddedDocument embedded) {
        VectorDocument document = embedded.document();
        Document doc = new Document();
        doc.add(new StringField(ID, document.id(), Field.Store.YES));
        doc.add(new StringField(KIND, document.kind(), Field.Store.YES));
        doc.add(new TextField(TEXT, document.text(), Field.Store.YES));
        doc.add(
                new KnnFloatVectorField(
                        VECTOR, embedded.vector(), VectorSimilarityFunction.COSINE));
        long time = document.time().toEpochMilli();
        doc.add(new LongPoint(TIME, time));
        doc.add(new NumericDocValuesField(TIME, time));
        doc.add(new StoredField(TIME, time));
        doc.add(new StringField(MODEL, embedded.model(), Field.Store.YES));
        if (document.sourceTable() != null) {
            doc.add(new StringField(SOURCE_TABLE, document.sourceTable(), Field.Store.YES));
        }
        if (document.sourceRow() != null) {
            doc.add(new StoredField(SOURCE_ROW, document.sourceRow()));
        }
        document.metadata()
                .forEach(
                        (key, value) ->
                                doc.add(new StringField(META + key, value, Field.Store.YES)));
        return doc;
    }

    private static StoredHit fromLucene(Document doc, double score) {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (IndexableField field : doc.getFields()) {
            if (field.name().startsWith(META)) {
                metadata.put(field.name().substring(META.length()), field.stringValue());
            }
        }
        VectorDocument document =
                new VectorDocument(
                        doc.get(ID),
                        doc.get(KIND),
                        doc.get(TEXT),
                        Instant.ofEpochMilli(doc.getField(TIME).numericValue().longValue()),
                        metadata,
                        doc.get(SOURCE_TABLE),
                        doc.get(SOURCE_ROW));
        return new StoredHit(document, doc.get(MODEL), score);
    }

    private static List<StoredHit> hits(IndexSearcher searcher, TopDocs top) throws IOException {
        StoredFields stored = searcher.storedFields();
        List<StoredHit> hits = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc scoreDoc : top.scoreDocs) {
            hits.add(fromLucene(stored.document(scoreDoc.doc), scoreDoc.score));
        }
        return hits;
    }

    /** The filter as a Lucene query, or null for none. */
    @Nullable
    private static Query filterQuery(DocumentFilter filter) {
        if (filter.isEmpty()) {
            return null;
        }
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        filter.conditions()
                .forEach(
                        (key, values) -> {
                            BooleanQuery.Builder any = new BooleanQuery.Builder();
                            for (String value : values) {
                                any.add(
                                        new TermQuery(new Term(fieldOf(key), value)),
                                        BooleanClause.Occur.SHOULD);
                            }
                            all.add(any.build(), BooleanClause.Occur.FILTER);
                        });
        return all.build();
    }

    private static String fieldOf(String key) {
        return switch (key) {
            case DocumentFilter.KIND -> KIND;
            case DocumentFilter.SOURCE_TABLE -> SOURCE_TABLE;
            case DocumentFilter.MODEL -> MODEL;
            default -> META + key;
        };
    }

    private static Map<String, Long> termCounts(IndexSearcher searcher, String field)
            throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        Terms terms = MultiTerms.getTerms(searcher.getIndexReader(), field);
        if (terms == null) {
            return counts;
        }
        TermsEnum values = terms.iterator();
        for (BytesRef value = values.next(); value != null; value = values.next()) {
            String text = value.utf8ToString();
            // docFreq counts deleted documents until a merge; count live ones.
            long live = searcher.count(new TermQuery(new Term(field, text)));
            if (live > 0) {
                counts.put(text, live);
            }
        }
        return counts;
    }

    private static FieldInfos fieldInfos(IndexReader reader) {
        return FieldInfos.getMergedFieldInfos(reader);
    }

    private Map<String, String> committedData(IndexReader reader) throws IOException {
        if (writer != null) {
            return committed;
        }
        return ((DirectoryReader) reader).getIndexCommit().getUserData();
    }

    private Map<String, String> commitData() throws IOException {
        if (writer != null) {
            Map<String, String> data = new HashMap<>();
            Iterable<Map.Entry<String, String>> live = writer.getLiveCommitData();
            if (live != null) {
                live.forEach(entry -> data.put(entry.getKey(), entry.getValue()));
            }
            return Map.copyOf(data);
        }
        return Map.of();
    }

    /** Work with a searcher of the newest commit. */
    private <R> R withSearcher(SearcherWork<R> work) {
        try {
            refreshIfDue();
            IndexSearcher searcher = searchers.acquire();
            try {
                return work.apply(searcher);
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new VectorStoreException(
                    "Cannot read the vector index at " + path + ": " + e.getMessage(), e);
        }
    }

    private void refreshIfDue() throws IOException {
        if (writer != null) {
            return; // refreshed by each commit, the only way documents change
        }
        long now = System.currentTimeMillis();
        if (now - lastRefresh >= REFRESH_INTERVAL_MS) {
            lastRefresh = now;
            searchers.maybeRefresh();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VectorStoreException("Interrupted while waiting for the index write lock");
        }
    }

    @FunctionalInterface
    private interface SearcherWork<R> {
        R apply(IndexSearcher searcher) throws IOException;
    }
}
