package dev.substrate.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.MiniLmEmbedder;
import dev.substrate.vectors.store.LuceneVectorStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Documents of an old model are found by their model and embedded again, nothing else changes. */
class ReEmbedderTest {

    @TempDir Path dir;

    @Test
    void onlyDocumentsOfAnotherModelAreEmbeddedAgainAndKeepTheirIdentity() throws Exception {
        Instant time = Instant.parse("2026-11-26T10:00:00Z");
        try (Embedder embedder = MiniLmEmbedder.open(dir.resolve("work"));
                LuceneVectorStore store = LuceneVectorStore.openForWriting(dir.resolve("index"))) {
            Random random = new Random(7);
            List<EmbeddedDocument> old = new ArrayList<>();
            for (String text :
                    List.of(
                            "GPU 3 fell off the bus on node n7",
                            "Invoice INV-1 is 42 days overdue",
                            "login failed for a user")) {
                float[] noise = new float[384];
                for (int i = 0; i < noise.length; i++) {
                    noise[i] = random.nextFloat() - 0.5f;
                }
                VectorDocument document =
                        VectorDocument.builder()
                                .id("old-" + old.size())
                                .kind("log-event")
                                .text(text)
                                .time(time)
                                .metadata("cluster", "c1")
                                .source("enterprise_events", "event_id = '" + old.size() + "'")
                                .build();
                old.add(EmbeddedDocument.embedded(document, "old-model@0.1", noise));
            }
            VectorDocument current =
                    VectorDocument.builder()
                            .id("new-0")
                            .kind("log-event")
                            .text("all good")
                            .time(time)
                            .build();
            old.add(
                    EmbeddedDocument.embedded(
                            current, embedder.model(), embedder.embed(List.of("all good")).get(0)));
            store.commit(new VectorBatch(old, List.of(), time));

            List<String> progress = new ArrayList<>();
            ReEmbedder.Report report = new ReEmbedder(store, embedder, 2).run(progress::add);

            assertThat(report.stale()).isEqualTo(3);
            assertThat(report.reembedded()).isEqualTo(3);
            assertThat(report.failed()).isZero();
            assertThat(progress)
                    .containsSubsequence(
                            "re-embedded 3 of 3 documents",
                            "merging the index into one segment for faster kNN queries");
            // Most of the index was rewritten: merged, so kNN searches one HNSW graph.
            assertThat(store.segments()).isEqualTo(1);
            assertThat(store.status().models()).isEqualTo(Map.of(embedder.model(), 4L));
            assertThat(store.status().completeUpTo()).isEqualTo(time);
            StoredHit kept = store.get("old-0").orElseThrow();
            assertThat(kept.document().metadata()).isEqualTo(Map.of("cluster", "c1"));
            assertThat(kept.document().sourceRow()).isEqualTo("event_id = '0'");
            // With real vectors now, kNN finds the paraphrase.
            float[] query =
                    embedder.embed(List.of("a graphics card disconnected from the PCIe bus"))
                            .get(0);
            assertThat(store.nearest(query, 1, DocumentFilter.none()).get(0).document().id())
                    .isEqualTo("old-0");
            assertThat(new ReEmbedder(store, embedder, 2).run(p -> {}).stale()).isZero();
        }
    }
}
