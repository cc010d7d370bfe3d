package dev.substrate.sinks.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.junit.jupiter.api.Test;

/**
 * The vector sink's writer hands over one batch per checkpoint with the newest version of each id,
 * and the batch survives the trip through checkpoint state unchanged.
 */
class VectorBatchWriterTest {

    private static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void aCheckpointsBatchHoldsTheLastVersionOfEachIdAndTheNewestWatermark() throws Exception {
        VectorBatchWriter writer = new VectorBatchWriter();
        writer.write(embedded("a", "first text of a", 0.1f), null);
        writer.write(embedded("b", "text of b", 0.2f), null);
        writer.write(embedded("a", "second text of a", 0.3f), null);
        writer.write(embedded("c", "text of c", 0.4f), null);
        writer.write(EmbeddedDocument.deletion(VectorDocument.deletion("c")), null);
        writer.writeWatermark(new Watermark(T.toEpochMilli()));
        writer.writeWatermark(new Watermark(T.toEpochMilli() - 1_000));

        List<VectorBatch> batches = List.copyOf(writer.prepareCommit());

        assertThat(batches).hasSize(1);
        VectorBatch batch = batches.get(0);
        assertThat(batch.upserts()).extracting(EmbeddedDocument::id).containsExactly("b", "a");
        assertThat(batch.upserts().get(1).document().text()).isEqualTo("second text of a");
        assertThat(batch.deletions()).containsExactly("c");
        assertThat(batch.completeUpTo()).isEqualTo(T);

        VectorBatchSerializer serializer = new VectorBatchSerializer();
        VectorBatch restored =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(batch));
        assertThat(restored.upserts()).extracting(EmbeddedDocument::id).containsExactly("b", "a");
        assertThat(restored.upserts().get(1).vector()).containsExactly(0.3f, 0.3f, 0.3f);
        assertThat(restored.upserts().get(1).model()).isEqualTo("m@1");
        assertThat(restored.upserts().get(1).document())
                .isEqualTo(batch.upserts().get(1).document());
        assertThat(restored.deletions()).containsExactly("c");
        assertThat(restored.completeUpTo()).isEqualTo(T);

        assertThat(writer.prepareCommit()).as("nothing new since the last checkpoint").isEmpty();
        writer.writeWatermark(new Watermark(T.toEpochMilli() + 5_000));
        assertThat(writer.prepareCommit())
                .as("a newer watermark alone is worth a commit: the store is complete further")
                .singleElement()
                .satisfies(b -> assertThat(b.completeUpTo()).isEqualTo(T.plusSeconds(5)));
    }

    @Test
    void aDocumentWithoutAVectorIsRefusedBecauseItBelongsInDeadLetters() {
        VectorBatchWriter writer = new VectorBatchWriter();
        EmbeddedDocument failed =
                EmbeddedDocument.failed(document("x", "text"), "m@1", "the endpoint said 400");
        assertThatThrownBy(() -> writer.write(failed, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dead letters");
    }

    private static EmbeddedDocument embedded(String id, String text, float value) {
        return EmbeddedDocument.embedded(
                document(id, text), "m@1", new float[] {value, value, value});
    }

    private static VectorDocument document(String id, String text) {
        return VectorDocument.builder()
                .id(id)
                .kind("logs-event")
                .text(text)
                .time(T)
                .metadata("cluster", "c1")
                .source("enterprise_events", "event_id = '" + id + "'")
                .build();
    }
}
