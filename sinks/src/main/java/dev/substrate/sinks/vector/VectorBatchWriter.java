package dev.substrate.sinks.vector;

import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorBatch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;

/**
 * The vector sink's writer: collects the documents of one checkpoint (the last version of each id
 * wins; a deletion cancels an earlier upsert) and the newest watermark, and hands them over as one
 * {@link VectorBatch} when the checkpoint barrier arrives. Nothing touches the store here, so a
 * failure before the checkpoint completes leaves the store as it was.
 */
final class VectorBatchWriter implements CommittingSinkWriter<EmbeddedDocument, VectorBatch> {

    private final Map<String, EmbeddedDocument> upserts = new LinkedHashMap<>();
    private final Set<String> deletions = new LinkedHashSet<>();
    private long watermark = Long.MIN_VALUE;
    private long handedOver = Long.MIN_VALUE;

    @Override
    public void write(EmbeddedDocument document, Context context) {
        if (!document.isStorable()) {
            throw new IllegalArgumentException(
                    "Document "
                            + document.id()
                            + " has no vector ("
                            + document.failure()
                            + "): failures belong in dead letters, not in the vector store");
        }
        String id = document.id();
        if (document.document().isDeletion()) {
            upserts.remove(id);
            deletions.add(id);
        } else {
            deletions.remove(id);
            upserts.remove(id); // re-inserted last: the order of the newest versions
            upserts.put(id, document);
        }
    }

    @Override
    public void writeWatermark(Watermark mark) {
        watermark = Math.max(watermark, mark.getTimestamp());
    }

    @Override
    public void flush(boolean endOfInput) {
        // Batches leave at prepareCommit, with the checkpoint.
    }

    @Override
    public Collection<VectorBatch> prepareCommit() {
        if (upserts.isEmpty() && deletions.isEmpty() && watermark == handedOver) {
            return List.of();
        }
        VectorBatch batch =
                new VectorBatch(
                        new ArrayList<>(upserts.values()),
                        new ArrayList<>(deletions),
                        watermark == Long.MIN_VALUE ? null : Instant.ofEpochMilli(watermark));
        upserts.clear();
        deletions.clear();
        handedOver = watermark;
        return List.of(batch);
    }

    @Override
    public void close() {}
}
