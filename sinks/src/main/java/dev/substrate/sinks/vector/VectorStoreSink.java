package dev.substrate.sinks.vector;

import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;

/**
 * Writes embedded documents to a vector store in commits that line up with Flink's checkpoints
 * (Sink V2, two phases): the writer gathers each checkpoint's documents and watermark into one
 * {@link VectorBatch}; the committer writes it to the store once the checkpoint is complete. The
 * store then holds exactly what the checkpoint covers and says so: it is "complete up to" the
 * watermark of its last commit. Upserts by id make a commit repeated after a restart harmless.
 *
 * <pre>
 *   DataStream&lt;EmbeddedDocument&gt; ─► writer ─────────────────► committer ─────────────► store
 *                                 one batch per checkpoint   commits when the            (Lucene index
 *                                 (last version per id,      checkpoint completes         or Qdrant)
 *                                  newest watermark)         (one writer of the store)
 * </pre>
 *
 * <p>The sink runs at parallelism 1: a Lucene index has one writer, and the expensive part
 * (embedding) happens before the sink, in parallel. Usage:
 *
 * <pre>{@code
 * VectorStoreSink.writeFrom(embedded, VectorStoreConfig.lucene(dataDir.resolve("vectors")), 384,
 *         "vector-store");
 * }</pre>
 */
public final class VectorStoreSink
        implements Sink<EmbeddedDocument>, SupportsCommitter<VectorBatch> {

    private static final long serialVersionUID = 1L;

    private final VectorStoreConfig store;
    private final int dimensions;

    /**
     * @param dimensions the vectors' dimension, to create a store; 0 to take the first document's
     */
    public VectorStoreSink(VectorStoreConfig store, int dimensions) {
        this.store = Objects.requireNonNull(store, "store");
        this.dimensions = dimensions;
    }

    /** Adds the sink, with uid {@code uid}, behind {@code documents} (embedded, no failures). */
    public static DataStreamSink<EmbeddedDocument> writeFrom(
            DataStream<EmbeddedDocument> documents,
            VectorStoreConfig store,
            int dimensions,
            String uid) {
        return documents
                .sinkTo(new VectorStoreSink(store, dimensions))
                .setParallelism(1)
                .uid(uid)
                .name("vector store: " + store);
    }

    @Override
    public CommittingSinkWriter<EmbeddedDocument, VectorBatch> createWriter(
            WriterInitContext context) {
        return new VectorBatchWriter();
    }

    @Override
    public Committer<VectorBatch> createCommitter(CommitterInitContext context) {
        return new VectorStoreCommitter(store, dimensions, context.metricGroup());
    }

    @Override
    public SimpleVersionedSerializer<VectorBatch> getCommittableSerializer() {
        return new VectorBatchSerializer();
    }
}
