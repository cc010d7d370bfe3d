package dev.substrate.sinks.vector;

import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.embedding.BatchEmbedding;
import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.EmbedderConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Embeds documents in batches on a background thread and never makes the task wait for it: the
 * pipeline upstream (the lake, every other stage) keeps its pace and its checkpoints whatever the
 * embedder's speed. Documents wait in a bounded backlog that is part of every checkpoint and is
 * embedded again after a restore; results leave in arrival order, watermarks behind the documents
 * that came before them (so the store's "complete up to" never runs ahead). Every document comes
 * out: embedded, or as a failure with the reason (refused, the endpoint gone after its retries, or
 * the backlog full because the embedder has been slower than the documents for too long), for dead
 * letters. Deletions pass through in order.
 *
 * <p>Why not Flink's async I/O: in Flink 2.1, an async operator whose queue is full holds its task
 * inside {@code processElement}, where it takes part in no checkpoint, aligned or unaligned
 * (FLINK-39835, fixed later), and its upstream tasks stall behind it. With an in-process model
 * slower than the documents arriving, no checkpoint completed, so no table committed: the whole run
 * stopped making progress.
 *
 * <pre>{@code
 * DataStream<EmbeddedDocument> embedded = BackgroundEmbedding.embed(documents,
 *         BackgroundEmbedding.settings(EmbedderConfig.miniLm(work)).batchSize(16), "vector-embed");
 * }</pre>
 */
public final class BackgroundEmbedding extends AbstractStreamOperator<EmbeddedDocument>
        implements OneInputStreamOperator<VectorDocument, EmbeddedDocument> {

    private static final long serialVersionUID = 1L;

    /** Documents embedded, failed, and batches sent, per subtask. */
    public static final String METRIC_EMBEDDED = "vectorDocumentsEmbedded";

    public static final String METRIC_FAILED = "vectorDocumentsNotEmbedded";
    public static final String METRIC_BATCHES = "vectorEmbeddingBatches";

    /** Documents waiting for their vector, per subtask (a gauge). */
    public static final String METRIC_BACKLOG = "vectorEmbeddingBacklog";

    /** How often the task looks for finished batches and for a batch that waited long enough. */
    private static final long POLL_MS = 20;

    /** How the documents are embedded; built with {@link #settings(EmbedderConfig)}. */
    public static final class Settings implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        private final EmbedderConfig embedder;
        private int batchSize = 16;
        private Duration maxDelay = Duration.ofMillis(50);
        private int maxBacklog = 10_000;

        private Settings(EmbedderConfig embedder) {
            this.embedder = Objects.requireNonNull(embedder, "embedder");
        }

        /** Documents embedded together (one request, one batch). */
        public Settings batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("The embedding batch size must be at least 1");
            }
            this.batchSize = batchSize;
            return this;
        }

        /** How long a document waits for its batch to fill. */
        public Settings maxDelay(Duration maxDelay) {
            this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
            return this;
        }

        /**
         * Documents a subtask holds before new ones fail at once (dead letters, with the reason):
         * memory stays bounded when the embedder is slower than the documents for long.
         */
        public Settings maxBacklog(int maxBacklog) {
            if (maxBacklog < 1) {
                throw new IllegalArgumentException(
                        "The embedding backlog must hold at least 1 document");
            }
            this.maxBacklog = maxBacklog;
            return this;
        }

        @Override
        public String toString() {
            return embedder.toString();
        }
    }

    /** Settings for {@code embedder}: batches of 16, 50 ms to fill, 10,000 documents of backlog. */
    public static Settings settings(EmbedderConfig embedder) {
        return new Settings(embedder);
    }

    /**
     * The embedded documents of {@code documents}, in their order, with operator uid {@code uid}.
     */
    public static SingleOutputStreamOperator<EmbeddedDocument> embed(
            DataStream<VectorDocument> documents, Settings settings, String uid) {
        return documents
                .transform(
                        "embed documents (" + settings + ")",
                        DocumentTypeInfo.EMBEDDED,
                        operator(settings))
                .uid(uid);
    }

    /** The operator itself, for {@link #embed} and operator tests. */
    static BackgroundEmbedding operator(Settings settings) {
        return new BackgroundEmbedding(settings);
    }

    /** A document as it arrived, with its record's timestamp. */
    private record Pending(VectorDocument document, long timestamp, boolean timestamped) {}

    /** Documents embedded together; its results and the watermark that followed its documents. */
    private static final class Batch {
        final List<Pending> documents;
        CompletableFuture<List<EmbeddedDocument>> results;
        Watermark after;

        Batch(List<Pending> documents) {
            this.documents = documents;
        }
    }

    private final Settings settings;

    private transient Embedder embedder;
    private transient String model;
    private transient ExecutorService thread;
    private transient Deque<Batch> inFlight;
    private transient Batch filling;
    private transient long fillingSince;
    private transient int backlog;
    private transient ListState<VectorDocument> backlogState;
    private transient List<VectorDocument> restored;
    private transient Counter embedded;
    private transient Counter failed;
    private transient Counter batches;

    private BackgroundEmbedding(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        backlogState =
                context.getOperatorStateStore()
                        .getListState(
                                new ListStateDescriptor<>(
                                        "documents-to-embed", DocumentTypeInfo.DOCUMENTS));
        restored = new ArrayList<>();
        if (context.isRestored()) {
            for (VectorDocument document : backlogState.get()) {
                restored.add(document);
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        embedder = settings.embedder.open(System.getenv());
        model = embedder.model();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        thread =
                Executors.newSingleThreadExecutor(
                        task -> {
                            Thread t = new Thread(task, "vector-embed-" + subtask);
                            t.setDaemon(true);
                            return t;
                        });
        inFlight = new ArrayDeque<>();
        embedded = getMetricGroup().counter(METRIC_EMBEDDED);
        failed = getMetricGroup().counter(METRIC_FAILED);
        batches = getMetricGroup().counter(METRIC_BATCHES);
        getMetricGroup().gauge(METRIC_BACKLOG, () -> backlog);
        for (VectorDocument document : restored) {
            accept(new Pending(document, 0, false));
        }
        restored = null;
        schedulePoll();
    }

    @Override
    public void processElement(StreamRecord<VectorDocument> element) {
        Pending pending =
                new Pending(element.getValue(), element.getTimestamp(), element.hasTimestamp());
        if (backlog >= settings.maxBacklog && !pending.document().isDeletion()) {
            failed.inc();
            emit(
                    pending,
                    EmbeddedDocument.failed(
                            pending.document(),
                            model,
                            "embedding backlog full ("
                                    + settings.maxBacklog
                                    + " documents): "
                                    + model
                                    + " has been slower than the documents arriving; raise"
                                    + " vectors.embedding.max-backlog, or use a faster embedder"));
            return;
        }
        accept(pending);
    }

    private void accept(Pending pending) {
        if (filling == null) {
            filling = new Batch(new ArrayList<>(settings.batchSize));
            fillingSince = getProcessingTimeService().getCurrentProcessingTime();
        }
        filling.documents.add(pending);
        backlog++;
        if (filling.documents.size() >= settings.batchSize) {
            dispatch();
        }
    }

    @Override
    public void processWatermark(Watermark mark) {
        // Behind the documents that came before it: on the last batch not yet out, or now.
        if (filling != null) {
            filling.after = mark;
        } else if (!inFlight.isEmpty()) {
            inFlight.peekLast().after = mark;
        } else {
            output.emitWatermark(mark);
        }
    }

    /** Hands the filling batch to the embedding thread. */
    private void dispatch() {
        Batch batch = filling;
        filling = null;
        batch.results = CompletableFuture.supplyAsync(() -> embedBatch(batch.documents), thread);
        inFlight.add(batch);
    }

    private void schedulePoll() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + POLL_MS, this::poll);
    }

    private void poll(long time) {
        if (filling != null && time - fillingSince >= settings.maxDelay.toMillis()) {
            dispatch();
        }
        emitFinished();
        schedulePoll();
    }

    /** Emits the finished batches at the head, in order, each followed by its watermark. */
    private void emitFinished() {
        while (!inFlight.isEmpty() && inFlight.peekFirst().results.isDone()) {
            emitBatch(inFlight.pollFirst());
        }
    }

    private void emitBatch(Batch batch) {
        List<EmbeddedDocument> results = batch.results.join();
        for (int i = 0; i < results.size(); i++) {
            emit(batch.documents.get(i), results.get(i));
        }
        backlog -= batch.documents.size();
        if (batch.after != null) {
            output.emitWatermark(batch.after);
        }
    }

    private void emit(Pending pending, EmbeddedDocument result) {
        StreamRecord<EmbeddedDocument> record =
                pending.timestamped()
                        ? new StreamRecord<>(result, pending.timestamp())
                        : new StreamRecord<>(result);
        output.collect(record);
    }

    /** Runs on the embedding thread: one result per document, in their order. */
    private List<EmbeddedDocument> embedBatch(List<Pending> batch) {
        List<EmbeddedDocument> results = new ArrayList<>(batch.size());
        List<String> texts = new ArrayList<>();
        for (Pending pending : batch) {
            if (!pending.document().isDeletion()) {
                texts.add(pending.document().text());
            }
        }
        List<BatchEmbedding.Outcome> outcomes;
        if (texts.isEmpty()) {
            outcomes = List.of();
        } else {
            batches.inc();
            // One outcome per text: BatchEmbedding turns every failure into outcomes itself.
            outcomes = BatchEmbedding.embedEach(embedder, texts);
        }
        int next = 0;
        for (Pending pending : batch) {
            VectorDocument document = pending.document();
            if (document.isDeletion()) {
                results.add(EmbeddedDocument.deletion(document));
                continue;
            }
            BatchEmbedding.Outcome outcome = outcomes.get(next++);
            if (outcome.ok()) {
                embedded.inc();
                results.add(EmbeddedDocument.embedded(document, model, outcome.vector()));
            } else {
                failed.inc();
                results.add(EmbeddedDocument.failed(document, model, outcome.failure()));
            }
        }
        return results;
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) {
        emitFinished();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        // Everything not out yet (finished or not) is embedded again after a restore: the store
        // upserts by id, so a document the next checkpoint also stored is not a copy.
        List<VectorDocument> waiting = new ArrayList<>(backlog);
        for (Batch batch : inFlight) {
            batch.documents.forEach(p -> waiting.add(p.document()));
        }
        if (filling != null) {
            filling.documents.forEach(p -> waiting.add(p.document()));
        }
        backlogState.update(waiting);
    }

    /**
     * At the end of a bounded input or a drain: the batches that finish within {@link #FINISH_WAIT}
     * are out; the rest stay in the final snapshot, like at any checkpoint, and are embedded when
     * the job resumes from it. A large backlog never holds a clean stop for long.
     */
    @Override
    public void finish() throws Exception {
        if (filling != null) {
            dispatch();
        }
        long giveUp = System.nanoTime() + FINISH_WAIT.toNanos();
        while (!inFlight.isEmpty() && System.nanoTime() < giveUp) {
            Batch head = inFlight.peekFirst();
            try {
                head.results.get(
                        Math.max(1, giveUp - System.nanoTime()),
                        java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                break;
            }
            emitBatch(inFlight.pollFirst());
        }
        super.finish();
    }

    /** How long {@link #finish()} lets the embedder work before the rest waits in state. */
    static final Duration FINISH_WAIT = Duration.ofSeconds(10);

    @Override
    public void close() throws Exception {
        try {
            if (thread != null) {
                thread.shutdownNow();
            }
            if (embedder != null) {
                embedder.close();
            }
        } finally {
            super.close();
        }
    }
}
