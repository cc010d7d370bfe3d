package dev.substrate.vectors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.StoreStatus;
import dev.substrate.vectors.StoredHit;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.VectorStoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store on a real index on disk: one document per id, deletes, filters, the commit
 * watermark, readers beside the writer, and the errors a user can meet.
 */
class LuceneVectorStoreTest {

    private static final String MODEL = "test-model@1";
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    @TempDir Path dir;

    @Test
    void writingAnIdAgainReplacesItsDocument() {
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(dir)) {
            store.commit(VectorBatch.upserting(List.of(doc("a", "crm-event", "first text", 1, 0))));
            store.commit(
                    VectorBatch.upserting(
                            List.of(
                                    doc("a", "crm-event", "second text", 1, 0),
                                    doc("b", "erp-event", "other", 0, 1))));
            // The same batch again, as a restart re-commits it.
            store.commit(
                    VectorBatch.upserting(
                            List.of(
                                    doc("a", "crm-event", "second text", 1, 0),
                                    doc("b", "erp-event", "other", 0, 1))));

            assertThat(store.count(DocumentFilter.none())).isEqualTo(2);
            assertThat(store.get("a"))
                    .get()
                    .extracting(h -> h.document().text())
                    .isEqualTo("second text");
            StoreStatus status = store.status();
            assertThat(status.kinds()).isEqualTo(Map.of("crm-event", 1L, "erp-event", 1L));
            assertThat(status.models()).isEqualTo(Map.of(MODEL, 2L));
            assertThat(status.dimensions()).isEqualTo(3);
        }
    }

    @Test
    void deletedDocumentsAreGoneFromEveryWayOfFindingThem() {
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(dir)) {
            store.commit(
                    VectorBatch.upserting(
                            List.of(
                                    doc("a", "crm-event", "overheating gpu", 1, 0),
                                    doc("b", "crm-event", "overheating node", 0.9f, 0.1f))));
            store.commit(new VectorBatch(List.of(), List.of("a", "never-there"), null));

            assertThat(store.get("a")).isEmpty();
            assertThat(store.count(DocumentFilter.none())).isEqualTo(1);
            assertThat(ids(store.nearest(vector(1, 0), 5, DocumentFilter.none())))
                    .containsExactly("b");
            assertThat(ids(store.keyword("overheating", 5, DocumentFilter.none())))
                    .containsExactly("b");
            assertThat(store.status().kinds()).isEqualTo(Map.of("crm-event", 1L));
        }
    }

    @Test
    void filtersSelectByKindAndMetadataWithAlternativesPerKey() {
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(dir)) {
            store.commit(
                    VectorBatch.upserting(
                            List.of(
                                    doc(
                                            "h1",
                                            "node-health",
                                            "xid 79 on node n1",
                                            1,
                                            0,
                                            "cluster",
                                            "a"),
                                    doc(
                                            "h2",
                                            "node-health",
                                            "xid 79 on node n2",
                                            1,
                                            0.1f,
                                            "cluster",
                                            "b"),
                                    doc(
                                            "e1",
                                            "log-event",
                                            "xid 79 in a log",
                                            1,
                                            0.2f,
                                            "cluster",
                                            "a"),
                                    doc("e2", "crm-event", "xid 79 asked by customer", 1, 0.3f))));

            DocumentFilter clusterA = DocumentFilter.parse(List.of("cluster=a"));
            assertThat(ids(store.nearest(vector(1, 0), 10, clusterA)))
                    .containsExactlyInAnyOrder("h1", "e1");
            assertThat(ids(store.keyword("xid", 10, clusterA)))
                    .containsExactlyInAnyOrder("h1", "e1");

            DocumentFilter healthInA =
                    DocumentFilter.parse(List.of("kind=node-health", "cluster=a"));
            assertThat(ids(store.keyword("xid 79", 10, healthInA))).containsExactly("h1");

            DocumentFilter twoKinds =
                    DocumentFilter.parse(List.of("kind=log-event", "kind=crm-event"));
            assertThat(ids(store.nearest(vector(1, 0), 10, twoKinds)))
                    .containsExactlyInAnyOrder("e1", "e2");
            assertThat(store.count(twoKinds)).isEqualTo(2);

            DocumentFilter byModel =
                    DocumentFilter.parse(List.of("model=" + MODEL, "source_table=t"));
            assertThat(store.count(byModel)).isEqualTo(4);

            List<String> visited = new ArrayList<>();
            store.forEach(healthInA, hit -> visited.add(hit.document().id()));
            assertThat(visited).containsExactly("h1");
        }
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
    void aSecondWriterIsToldWhoHoldsTheIndex() {
        try (LuceneVectorStore first = LuceneVectorStore.openForWriting(dir)) {
            assertThatThrownBy(() -> LuceneVectorStore.openForWriting(dir, Duration.ofMillis(300)))
                    .isInstanceOf(VectorStoreException.class)
                    .hasMessageContaining("is being written by another process or job")
                    .hasMessageContaining(dir.toString());
        }
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

    @Test
    void storedDocumentsKeepTheirMetadataTimeAndLineage() {
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(dir)) {
            store.commit(
                    VectorBatch.upserting(
                            List.of(
                                    doc(
                                            "a",
                                            "node-health",
                                            "text",
                                            1,
                                            0,
                                            "severity",
                                            "critical"))));
            StoredHit hit = store.get("a").orElseThrow();
            assertThat(hit.model()).isEqualTo(MODEL);
            assertThat(hit.document().time()).isEqualTo(T0);
            assertThat(hit.document().metadata()).isEqualTo(Map.of("severity", "critical"));
            assertThat(hit.document().sourceTable()).isEqualTo("t");
            assertThat(hit.document().sourceRow()).isEqualTo("id = 'a'");
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

    private static List<String> ids(List<StoredHit> hits) {
        return hits.stream().map(h -> h.document().id()).toList();
    }

    private static float[] vector(float x, float y) {
        return new float[] {x, y, 0.5f};
    }

    static EmbeddedDocument doc(
            String id, String kind, String text, float x, float y, String... metadata) {
        VectorDocument.Builder builder =
                VectorDocument.builder()
                        .id(id)
                        .kind(kind)
                        .text(text)
                        .time(T0)
                        .source("t", "id = '" + id + "'");
        for (int i = 0; i < metadata.length; i += 2) {
            builder.metadata(metadata[i], metadata[i + 1]);
        }
        return EmbeddedDocument.embedded(builder.build(), MODEL, vector(x, y));
    }
}
