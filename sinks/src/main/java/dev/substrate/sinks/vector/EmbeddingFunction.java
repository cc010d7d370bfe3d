package dev.substrate.sinks.vector;

import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.embedding.BatchEmbedding;
import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.EmbedderConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Embeds documents in batches off the task thread (Flink async I/O), so a slow embedding endpoint
 * never blocks the pipeline: documents wait in a batch until it holds {@code batchSize} or the
 * oldest has waited {@code maxDelay}, then one thread embeds the batch. Every document comes out:
 * embedded, or as a failure with the reason (its text refused, the endpoint gone after its retries,
 * no answer within the timeout), for dead letters. Deletions pass through.
 *
 * <p>Ordered ({@link AsyncDataStream#orderedWait}) on purpose: two versions of one document must
 * reach the store in their order, and a whole batch completes at once, so ordering costs almost
 * nothing. In-flight documents are part of each checkpoint and embedded again after a restore.
 *
 * <pre>{@code
 * DataStream<EmbeddedDocument> embedded =
 *         EmbeddingFunction.embed(documents, EmbedderConfig.miniLm(work), 64, Duration.ofMillis(50), "vector-embed");
 * }</pre>
 */
public final class EmbeddingFunction extends RichAsyncFunction<VectorDocument, EmbeddedDocument> {

    private static final long serialVersionUID = 1L;

    /** Documents embedded, failed, and batches sent, per subtask. */
    public static final String METRIC_EMBEDDED = "vectorDocumentsEmbedded";

    public static final String METRIC_FAILED = "vectorDocumentsNotEmbedded";
    public static final String METRIC_BATCHES = "vectorEmbeddingBatches";

    /** Batches a subtask holds at once: the one being embedded and those waiting for it. */
    static final int QUEUED_BATCHES = 4;

    private final EmbedderConfig config;
    private final int batchSize;
    private final Duration maxDelay;
    private final Duration timeout;

    private transient Embedder embedder;
    private transient String model;
    private transient ExecutorService embedding;
    private transient ScheduledExecutorService timer;
    private transient List<Pending> pending;
    private transient ScheduledFuture<?> flush;
    private transient Counter embedded;
    private transient Counter failed;
    private transient Counter batches;

    private record Pending(VectorDocument document, ResultFuture<EmbeddedDocument> result) {}

    EmbeddingFunction(EmbedderConfig config, int batchSize, Duration maxDelay, Duration timeout) {
        this.config = Objects.requireNonNull(config, "config");
        if (batchSize < 1) {
            throw new IllegalArgumentException("The embedding batch size must be at least 1");
        }
        this.batchSize = batchSize;
        this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * The embedded documents of {@code documents}, in their order, embedded {@code batchSize} at a
     * time; the operator has uid {@code uid}.
     *
     * @param maxDelay how long a document waits for its batch to fill
     */
    public static SingleOutputStreamOperator<EmbeddedDocument> embed(
            DataStream<VectorDocument> documents,
            EmbedderConfig config,
            int batchSize,
            Duration maxDelay,
            String uid) {
        // A document's clock starts when it joins the queue, behind at most QUEUED_BATCHES - 1
        // batches that one thread embeds in turn. Past every attempt and backoff of the embedder
        // for each of them, it is given up on (a failure). A timeout that ignored the queue filed
        // documents as failures merely because a slow machine had a queue.
        Duration perBatch = config.worstCase().plus(maxDelay);
        Duration timeout = perBatch.multipliedBy(QUEUED_BATCHES).plusSeconds(10);
        return AsyncDataStream.orderedWait(
                        documents,
                        new EmbeddingFunction(config, batchSize, maxDelay, timeout),
                        timeout.toMillis(),
                        TimeUnit.MILLISECONDS,
                        // Room for the batch being embedded and the next ones filling up.
                        batchSize * QUEUED_BATCHES)
                .returns(DocumentTypeInfo.EMBEDDED)
                .uid(uid)
                .name("embed documents (" + config + ")");
    }

    @Override
    public void open(OpenContext context) {
        embedder = config.open(System.getenv());
        model = embedder.model();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        embedding = Executors.newSingleThreadExecutor(daemon("vector-embed-" + subtask));
        timer = Executors.newSingleThreadScheduledExecutor(daemon("vector-embed-timer-" + subtask));
        pending = new ArrayList<>();
        embedded = getRuntimeContext().getMetricGroup().counter(METRIC_EMBEDDED);
        failed = getRuntimeContext().getMetricGroup().counter(METRIC_FAILED);
        batches = getRuntimeContext().getMetricGroup().counter(METRIC_BATCHES);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void asyncInvoke(VectorDocument document, ResultFuture<EmbeddedDocument> result) {
        if (document.isDeletion()) {
            result.complete(List.of(EmbeddedDocument.deletion(document)));
            return;
        }
        synchronized (this) {
            pending.add(new Pending(document, result));
            if (pending.size() >= batchSize) {
                dispatch();
            } else if (flush == null) {
                flush = timer.schedule(this::flushDue, maxDelay.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private synchronized void flushDue() {
        flush = null;
        if (!pending.isEmpty()) {
            dispatch();
        }
    }

    /** Hands the pending batch to the embedding thread. Called holding the lock. */
    private void dispatch() {
        if (flush != null) {
            flush.cancel(false);
            flush = null;
        }
        List<Pending> batch = pending;
        pending = new ArrayList<>();
        embedding.execute(() -> embedBatch(batch));
    }

    private void embedBatch(List<Pending> batch) {
        batches.inc();
        List<BatchEmbedding.Outcome> outcomes;
        try {
            outcomes =
                    BatchEmbedding.embedEach(
                            embedder, batch.stream().map(p -> p.document().text()).toList());
        } catch (RuntimeException e) {
            String reason = model + " failed: " + e;
            for (Pending item : batch) {
                fail(item, reason);
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Pending item = batch.get(i);
            BatchEmbedding.Outcome outcome = outcomes.get(i);
            if (outcome.ok()) {
                embedded.inc();
                item.result()
                        .complete(
                                List.of(
                                        EmbeddedDocument.embedded(
                                                item.document(), model, outcome.vector())));
            } else {
                fail(item, outcome.failure());
            }
        }
    }

    private void fail(Pending item, String reason) {
        failed.inc();
        item.result().complete(List.of(EmbeddedDocument.failed(item.document(), model, reason)));
    }

    @Override
    public void timeout(VectorDocument document, ResultFuture<EmbeddedDocument> result) {
        failed.inc();
        result.complete(
                List.of(
                        EmbeddedDocument.failed(
                                document,
                                model,
                                "not embedded within " + timeout.toSeconds() + " s by " + model)));
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        if (embedding != null) {
            embedding.shutdownNow();
        }
        if (embedder != null) {
            embedder.close();
        }
    }
}
