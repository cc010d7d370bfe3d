package dev.substrate.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.embedding.Embedder;
import dev.substrate.vectors.embedding.MiniLmEmbedder;
import dev.substrate.vectors.store.LuceneVectorStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code substrate search} over a real Lucene index in a data directory's {@code vectors/}, with
 * the real MiniLM model: hits with scores, kind, time and lineage, "complete up to", filters, JSON,
 * clear errors with their exit codes, and {@code --reembed}.
 */
class SearchCommandTest {

    private static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

    @TempDir static Path dataDir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void index() {
        List<VectorDocument> documents =
                List.of(
                        document(
                                "node-health:c1/n7@1:DOWN",
                                "node-health",
                                "Node n7 went DOWN: GPU 3 fell off the bus (Xid 79), 2 GPUs lost",
                                "node_health"),
                        document(
                                "crm-event:1",
                                "crm-event",
                                "Customer asks for a refund of the duplicate invoice charge",
                                "enterprise_events"),
                        document(
                                "crm-event:2",
                                "crm-event",
                                "Customer reports the training cluster is slow since Monday",
                                "enterprise_events"),
                        document(
                                "logs-event:1",
                                "logs-event",
                                "kernel: NVRM Xid 48 double bit ECC error on GPU 0",
                                "enterprise_events"));
        try (Embedder embedder = MiniLmEmbedder.open(dataDir.resolve("embeddings"));
                LuceneVectorStore store =
                        LuceneVectorStore.openForWriting(dataDir.resolve("vectors"))) {
            List<float[]> vectors =
                    embedder.embed(documents.stream().map(VectorDocument::text).toList());
            List<EmbeddedDocument> embedded = new ArrayList<>();
            for (int i = 0; i < documents.size(); i++) {
                embedded.add(
                        EmbeddedDocument.embedded(
                                documents.get(i), embedder.model(), vectors.get(i)));
            }
            store.commit(new VectorBatch(embedded, List.of(), T));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void hybridSearchPrintsTheNearestDocumentsWithLineageAndCompleteness() {
        int code =
                run(
                        "a graphics card disconnected from the PCIe bus",
                        "--k",
                        "2",
                        "--data-dir",
                        dataDir.toString());

        assertThat(code).as(err.toString()).isZero();
        String printed = out.toString();
        assertThat(printed)
                .contains("2 of 4 documents for \"a graphics card disconnected from the PCIe bus\"")
                .contains("(hybrid, k=2)")
                .contains("complete up to 2026-11-26T10:00:00Z")
                .contains(" 1. ")
                .contains("node-health:c1/n7@1:DOWN")
                .contains("lineage: node_health WHERE id = 'node-health:c1/n7@1:DOWN'")
                .contains("knn #1")
                .contains("model " + MiniLmEmbedder.modelId())
                .contains("cluster=c1");
        assertThat(printed.indexOf("node-health:c1/n7@1:DOWN"))
                .as("the incident ranks first")
                .isLessThan(printed.indexOf(" 2. "));
    }

    @Test
    void filtersNarrowTheAnswerAndJsonIsTheApisAnswer() throws Exception {
        int code =
                run(
                        "customer invoice refund",
                        "--mode",
                        "bm25",
                        "--filter",
                        "kind=crm-event",
                        "--json",
                        "--data-dir",
                        dataDir.toString());

        assertThat(code).as(err.toString()).isZero();
        JsonNode answer = new ObjectMapper().readTree(out.toString());
        assertThat(answer.get("mode").asText()).isEqualTo("bm25");
        assertThat(answer.get("complete_up_to").asText()).isEqualTo(T.toString());
        List<String> kinds = new ArrayList<>();
        answer.get("hits").forEach(hit -> kinds.add(hit.get("kind").asText()));
        assertThat(kinds).isNotEmpty().containsOnly("crm-event");
        assertThat(answer.get("hits").get(0).get("id").asText()).isEqualTo("crm-event:1");
        assertThat(answer.get("hits").get(0).get("lineage").get("table").asText())
                .isEqualTo("enterprise_events");
    }

    @Test
    void badInputAndAMissingIndexAreRefusedWithTheFix() {
        assertThat(run("gpu", "--filter", "kind", "--data-dir", dataDir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("substrate search: ").contains("'kind'");

        assertThat(
                        run(
                                "gpu",
                                "--filter",
                                "colour=red",
                                "--mode",
                                "bm25",
                                "--data-dir",
                                dataDir.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("colour");

        assertThat(run("gpu", "--mode", "fuzzy", "--data-dir", dataDir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown search mode 'fuzzy'").contains("hybrid");

        assertThat(run("--data-dir", dataDir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("Say what to look for");

        assertThat(run("gpu", "--k", "0", "--data-dir", dataDir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--k must be at least 1");

        Path empty = dataDir.resolve("no-such-run");
        assertThat(run("gpu", "--data-dir", empty.toString())).isEqualTo(1);
        assertThat(err.toString())
                .contains("No vector index at " + empty.resolve("vectors").toAbsolutePath())
                .contains("--vectors-path");
    }

    @Test
    void reembedGivesDocumentsOfAnOlderModelTheCurrentOneAndRefusesARunningWriter()
            throws Exception {
        Path other = dataDir.resolve("old-model-run");
        Random random = new Random(3);
        List<EmbeddedDocument> old = new ArrayList<>();
        for (String text : List.of("GPU 3 fell off the bus", "invoice overdue by 42 days")) {
            float[] noise = new float[MiniLmEmbedder.DIMENSIONS];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = random.nextFloat() - 0.5f;
            }
            old.add(
                    EmbeddedDocument.embedded(
                            document("old-" + old.size(), "logs-event", text, "enterprise_events"),
                            "old-model@0.1",
                            noise));
        }
        try (LuceneVectorStore store = LuceneVectorStore.openForWriting(other.resolve("vectors"))) {
            store.commit(new VectorBatch(old, List.of(), T));
            // The "job" still holds the index: re-embedding must say so, not wait forever.
            assertThat(run("--reembed", "--data-dir", other.toString())).isEqualTo(1);
            assertThat(err.toString()).contains("write.lock is held").contains("stop that writer");
        }

        assertThat(run("gpu", "--reembed", "--data-dir", other.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("give it no search text");

        assertThat(run("--reembed", "--data-dir", other.toString())).as(err.toString()).isZero();
        assertThat(out.toString())
                .contains("Re-embedded 2 of 2 documents with " + MiniLmEmbedder.modelId());
        try (LuceneVectorStore store = LuceneVectorStore.openForReading(other.resolve("vectors"))) {
            assertThat(store.status().models()).isEqualTo(Map.of(MiniLmEmbedder.modelId(), 2L));
            assertThat(store.status().completeUpTo()).isEqualTo(T);
        }

        assertThat(run("--reembed", "--data-dir", other.toString())).isZero();
        assertThat(out.toString()).contains("Every document is already embedded by");
    }

    private static VectorDocument document(String id, String kind, String text, String table) {
        return VectorDocument.builder()
                .id(id)
                .kind(kind)
                .text(text)
                .time(T)
                .metadata("cluster", "c1")
                .source(table, "id = '" + id + "'")
                .build();
    }

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return new CommandLine(new SubstrateCli())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(prepend("search", args));
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
