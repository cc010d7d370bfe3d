package dev.substrate.vectors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.VectorStore;
import dev.substrate.vectors.VectorStoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store on a real index on disk: one document per id, deletes, filters, the commit
 * watermark, readers beside the writer, and the errors a user can meet.
 */
class LuceneVectorStoreTest extends VectorStoreContract {

    @TempDir Path dir;

    @Override
    VectorStore openEmptyStore() {
        return LuceneVectorStore.openForWriting(dir.resolve("contract"));
    }

    @Test
    void aFilterOnAKeyNoDocumentHasIsAnErrorNotAnEmptyAnswer() {
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(dir)) {
            store.commit(
                    VectorBatch.upserting(
                            List.of(doc("a", "crm-event", "t", 1, 0, "tier", "gold"))));

            assertThatThrownBy(
                            () ->
                                    store.keyword(
                                            "t", 5, DocumentFilter.parse(List.of("colour=red"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Unknown filter key 'colour'")
                    .hasMessageContaining("tier")
                    .hasMessageContaining("kind");
            // A key the pipeline uses but no document has yet is fine: an empty answer.
            assertThat(store.keyword("t", 5, DocumentFilter.parse(List.of("severity=critical"))))
                    .isEmpty();
            assertThatThrownBy(() -> DocumentFilter.parse(List.of("kind")))
                    .hasMessageContaining("Bad filter 'kind': expected key=value");
            assertThatThrownBy(() -> DocumentFilter.parse(List.of("Kind=x")))
                    .hasMessageContaining("lower_snake_case");
            assertThatThrownBy(() -> DocumentFilter.parse(List.of("kind=")))
                    .hasMessageContaining("empty");
        }
    }

    @Test
    void aReaderSeesEachCommitWithItsWatermarkWhileTheWriterWrites() throws Exception {
        try (LuceneVectorStore writer = LuceneVectorStore.openForWriting(dir);
                LuceneVectorStore reader = LuceneVectorStore.openForReading(dir)) {
            assertThat(reader.status().completeUpTo()).isNull();
            assertThat(reader.status().documents()).isZero();

            writer.commit(
                    new VectorBatch(List.of(doc("a", "crm-event", "t", 1, 0)), List.of(), T0));
            awaitDocuments(reader, 1);
            assertThat(reader.status().completeUpTo()).isEqualTo(T0);

            // A restart re-commits an older batch: the watermark never goes back.
            writer.commit(
                    new VectorBatch(
                            List.of(doc("b", "crm-event", "t", 1, 0)),
                            List.of(),
                            T0.plusSeconds(5)));
            writer.commit(
                    new VectorBatch(List.of(doc("a", "crm-event", "t", 1, 0)), List.of(), T0));
            awaitDocuments(reader, 2);
            assertThat(reader.status().completeUpTo()).isEqualTo(T0.plusSeconds(5));
            assertThat(writer.status().completeUpTo()).isEqualTo(T0.plusSeconds(5));
        }
        try (LuceneVectorStore reopened = LuceneVectorStore.openForReading(dir)) {
            assertThat(reopened.status().completeUpTo()).isEqualTo(T0.plusSeconds(5));
        }
    }

    @Test
    void compactingMergesIntoOneSegmentAndKeepsDocumentsWatermarkAndAnswers() throws Exception {
        try (LuceneVectorStore writer = LuceneVectorStore.openForWriting(dir);
                LuceneVectorStore reader = LuceneVectorStore.openForReading(dir)) {
            for (int i = 0; i < 3; i++) {
                writer.commit(
                        new VectorBatch(
                                List.of(doc("d" + i, "crm-event", "disk " + i, 1, i)),
                                List.of(),
                                T0.plusSeconds(i)));
            }
            // One replaced document: the merge drops its old copy.
            writer.commit(VectorBatch.upserting(List.of(doc("d0", "crm-event", "disk 0", 0, 1))));
            assertThat(writer.segments()).isGreaterThan(1);
            List<String> before =
                    writer.nearest(new float[] {1, 1, 0}, 3, DocumentFilter.none()).stream()
                            .map(hit -> hit.document().id())
                            .toList();

            writer.compact(1);

            assertThat(writer.segments()).isEqualTo(1);
            assertThat(writer.status().documents()).isEqualTo(3);
            assertThat(writer.status().completeUpTo()).isEqualTo(T0.plusSeconds(2));
            assertThat(
                            writer.nearest(new float[] {1, 1, 0}, 3, DocumentFilter.none()).stream()
                                    .map(hit -> hit.document().id()))
                    .containsExactlyElementsOf(before);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (reader.segments() != 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(reader.segments()).as("a reader beside the writer").isEqualTo(1);
            assertThat(reader.status().completeUpTo()).isEqualTo(T0.plusSeconds(2));
            assertThatThrownBy(() -> reader.compact(1))
                    .isInstanceOf(VectorStoreException.class)
                    .hasMessageContaining("opened for reading only");
        }
    }

    @Test
    void aCommitThatOnlyMovesTheWatermarkShowsInTheStatus() {
        try (LuceneVectorStore writer = LuceneVectorStore.openForWriting(dir)) {
            writer.commit(
                    new VectorBatch(List.of(doc("a", "crm-event", "t", 1, 0)), List.of(), T0));
            assertThat(writer.status().completeUpTo()).isEqualTo(T0);
            writer.commit(new VectorBatch(List.of(), List.of(), T0.plusSeconds(9)));
            assertThat(writer.status().completeUpTo()).isEqualTo(T0.plusSeconds(9));
            assertThat(writer.status().documents()).isEqualTo(1);
        }
    }

    @Test
    void aSecondWriterIsToldWhoHoldsTheIndex() {
        try (LuceneVectorStore first = LuceneVectorStore.openForWriting(dir)) {
            assertThatThrownBy(() -> LuceneVectorStore.openForWriting(dir, Duration.ofMillis(300)))
                    .isInstanceOf(VectorStoreException.class)
                    .hasMessageContaining("is being written by another process or job")
                    .hasMessageContaining(dir.toString());
        }
    }

    /**
     * A task Flink cancels while it starts can end without closing its writer; the next attempt in
     * the same TaskManager must not be locked out for good (a standalone-cluster failover was).
     */
    @Test
    void aWriterLeftOpenByAnEndedThreadIsClosedForTheNextOne() throws Exception {
        LuceneVectorStore[] leaked = new LuceneVectorStore[1];
        Thread cancelledTask = new Thread(() -> leaked[0] = LuceneVectorStore.openForWriting(dir));
        cancelledTask.start();
        cancelledTask.join();

        try (LuceneVectorStore next = LuceneVectorStore.openForWriting(dir, Duration.ZERO)) {
            next.commit(new VectorBatch(List.of(doc("a", "crm-event", "t", 1, 0)), List.of(), T0));
            assertThat(next.status().documents()).isEqualTo(1);
        }
        assertThatThrownBy(
                        () ->
                                leaked[0].commit(
                                        new VectorBatch(
                                                List.of(doc("b", "crm-event", "t", 1, 0)),
                                                List.of(),
                                                T0)))
                .as("the leaked writer was closed")
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void aMissingIndexIsAClearError() {
        Path nowhere = dir.resolve("nowhere");
        assertThatThrownBy(() -> LuceneVectorStore.openForReading(nowhere))
                .isInstanceOf(VectorStoreException.class)
                .hasMessageContaining("No vector index at " + nowhere.toAbsolutePath())
                .hasMessageContaining("substrate local");
    }

    @Test
    void vectorsOfAnotherDimensionAreRefusedWithTheReason() {
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(dir)) {
            store.commit(VectorBatch.upserting(List.of(doc("a", "crm-event", "t", 1, 0))));
            EmbeddedDocument wide =
                    EmbeddedDocument.embedded(
                            VectorDocument.builder()
                                    .id("b")
                                    .kind("crm-event")
                                    .text("t")
                                    .time(T0)
                                    .build(),
                            "big@1",
                            new float[] {1, 0, 0, 0});
            assertThatThrownBy(() -> store.commit(VectorBatch.upserting(List.of(wide))))
                    .isInstanceOf(VectorStoreException.class)
                    .hasMessageContaining("4-dimensional")
                    .hasMessageContaining("holds 3-dimensional");
            assertThatThrownBy(() -> store.nearest(new float[] {1, 0}, 3, DocumentFilter.none()))
                    .isInstanceOf(VectorStoreException.class)
                    .hasMessageContaining("has 2 dimensions");
            assertThat(store.count(DocumentFilter.none())).isEqualTo(1);
        }
    }

    private static void awaitDocuments(LuceneVectorStore reader, long expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (reader.status().documents() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(reader.status().documents()).isEqualTo(expected);
    }
}
