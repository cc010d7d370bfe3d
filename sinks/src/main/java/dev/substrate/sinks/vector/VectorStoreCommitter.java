package dev.substrate.sinks.vector;

import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorStore;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.groups.SinkCommitterMetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vector sink's committer: once a checkpoint is complete, writes its batches to the store as
 * one store commit (the documents, the deletions, the watermark). A batch committed again after a
 * restart replaces the same ids, so the store never holds a copy; a commit that fails fails the
 * job, which restarts from the checkpoint and commits the batch again.
 */
final class VectorStoreCommitter implements Committer<VectorBatch> {

    private static final Logger LOG = LoggerFactory.getLogger(VectorStoreCommitter.class);

    private final VectorStoreConfig config;
    private final int dimensions;
    private final Counter committed;
    private VectorStore store;

    VectorStoreCommitter(
            VectorStoreConfig config, int dimensions, SinkCommitterMetricGroup metrics) {
        this.config = config;
        this.dimensions = dimensions;
        this.committed = metrics.counter("vectorDocumentsCommitted");
    }

    @Override
    public void commit(Collection<CommitRequest<VectorBatch>> requests) throws IOException {
        Map<String, EmbeddedDocument> upserts = new LinkedHashMap<>();
        Set<String> deletions = new LinkedHashSet<>();
        Instant complete = null;
        for (CommitRequest<VectorBatch> request : requests) {
            VectorBatch batch = request.getCommittable();
            for (EmbeddedDocument upsert : batch.upserts()) {
                deletions.remove(upsert.id());
                upserts.remove(upsert.id());
                upserts.put(upsert.id(), upsert);
            }
            for (String id : batch.deletions()) {
                upserts.remove(id);
                deletions.add(id);
            }
            if (batch.completeUpTo() != null
                    && (complete == null || batch.completeUpTo().isAfter(complete))) {
                complete = batch.completeUpTo();
            }
        }
        VectorBatch merged =
                new VectorBatch(
                        new ArrayList<>(upserts.values()), new ArrayList<>(deletions), complete);
        if (merged.isEmpty()) {
            return;
        }
        if (store == null) {
            int dims =
                    dimensions > 0
                            ? dimensions
                            : merged.upserts().isEmpty()
                                    ? 0
                                    : merged.upserts().get(0).vector().length;
            if (dims == 0 && config.kind() == VectorStoreConfig.Kind.QDRANT) {
                // A new collection needs the dimension, which the first document will tell; the
                // watermark comes again with the next batch.
                return;
            }
            store = config.openForWriting(System.getenv(), dims);
        }
        try {
            store.commit(merged);
        } catch (RuntimeException e) {
            throw new IOException(
                    "Cannot commit "
                            + merged.upserts().size()
                            + " documents to "
                            + config
                            + ": "
                            + e.getMessage(),
                    e);
        }
        committed.inc(merged.upserts().size());
        LOG.debug(
                "Committed {} documents and {} deletions to {}, complete up to {}",
                merged.upserts().size(),
                merged.deletions().size(),
                config,
                complete);
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
