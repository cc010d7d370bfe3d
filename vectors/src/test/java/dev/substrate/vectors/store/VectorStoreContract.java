package dev.substrate.vectors.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.StoreStatus;
import dev.substrate.vectors.StoredHit;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.VectorStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link VectorStore} does, whatever keeps the documents: one document per id (a batch
 * committed twice leaves no copy), deletes, filters with alternatives per key, a commit watermark
 * that never goes back, documents read back whole. Each implementation's test extends it.
 */
abstract class VectorStoreContract {

    static final String MODEL = "test-model@1";
    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    VectorStore store;

    /** A new, empty store for one test. */
    abstract VectorStore openEmptyStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = openEmptyStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void writingAnIdAgainReplacesItsDocument() {
        {
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
        {
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
        {
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
    void storedDocumentsKeepTheirMetadataTimeAndLineage() {
        {
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

    @Test
    void theCommitWatermarkIsPublishedAndNeverGoesBack() {
        assertThat(store.status().completeUpTo()).isNull();
        store.commit(
                new VectorBatch(
                        List.of(doc("a", "crm-event", "t", 1, 0)), List.of(), T0.plusSeconds(5)));
        // A restart re-commits an older batch: the watermark stays.
        store.commit(new VectorBatch(List.of(doc("a", "crm-event", "t", 1, 0)), List.of(), T0));
        assertThat(store.status().completeUpTo()).isEqualTo(T0.plusSeconds(5));
        assertThat(store.status().documents()).isEqualTo(1);
        store.commit(new VectorBatch(List.of(), List.of(), StoreStatus.END_OF_INPUT));
        assertThat(store.status().completeUpToText()).isEqualTo("the end of its input");
    }

    static List<String> ids(List<StoredHit> hits) {
        return hits.stream().map(h -> h.document().id()).toList();
    }

    static float[] vector(float x, float y) {
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
