package dev.substrate.vectors.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process model: real vectors, where they are made, and what it leaves behind. */
class MiniLmEmbedderTest {

    @TempDir Path workDir;

    @Test
    void similarSentencesAreCloserThanUnrelatedOnes() throws Exception {
        try (Embedder embedder = MiniLmEmbedder.open(workDir)) {
            List<float[]> vectors =
                    embedder.embed(
                            List.of(
                                    "The GPU fell off the PCIe bus and the node was drained",
                                    "A graphics card disappeared from the bus; the host was taken"
                                            + " out of service",
                                    "Invoice paid by bank transfer"));
            assertThat(vectors).hasSize(3).allSatisfy(v -> assertThat(v).hasSize(384));
            assertThat(embedder.dimensions()).isEqualTo(384);
            assertThat(embedder.model()).startsWith("all-minilm-l6-v2-q@1.");
            assertThat(cosine(vectors.get(0), vectors.get(1)))
                    .isGreaterThan(cosine(vectors.get(0), vectors.get(2)) + 0.2);
        }
    }

    /**
     * The batched, padded inference gives the vectors langchain4j's own model gives one text at a
     * time (the vectors stored before batching stay comparable under the same model id): texts of
     * one word to one far past the tokenizer's 128-token truncation, in one call, so the short ones
     * are padded beside the long ones.
     */
    @Test
    void batchedVectorsEqualLangchain4jsOneTextAtATime() throws Exception {
        StringBuilder longText = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            longText.append("GPU ").append(i).append(" on node gpu-node-").append(i % 7);
            longText.append(" reported Xid 79 and fell off the bus. ");
        }
        List<String> texts =
                List.of(
                        "GPU",
                        "Node gpu-node-17 drained: 3 of 8 GPUs fell off the PCIe bus (Xid 79)",
                        longText.toString(),
                        "Rejected: tenant acme exceeded its quota of 64 H100 GPUs in eu-west",
                        "Temperature 91 °C, power 700 W, ECC errors 12; naïve café résumé",
                        "ok");
        assertThat(longText.toString().split(" ")).hasSizeGreaterThan(600);
        AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
        try (Embedder embedder = MiniLmEmbedder.open(workDir)) {
            List<float[]> batched = embedder.embed(texts);
            assertThat(batched).hasSize(texts.size());
            List<Double> similarities = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                float[] single = reference.embed(TextSegment.from(texts.get(i))).content().vector();
                similarities.add(cosine(batched.get(i), single));
                assertThat(norm(batched.get(i))).isCloseTo(1.0, within(1e-5));
            }
            assertThat(similarities)
                    .as("cosine similarity to langchain4j's vector, per text")
                    .allSatisfy(c -> assertThat(c).isGreaterThanOrEqualTo(0.9999));
            // A batch of one and a batch's member agree as well.
            assertThat(cosine(embedder.embed(List.of(texts.get(1))).get(0), batched.get(1)))
                    .isGreaterThanOrEqualTo(0.9999);
        }
    }

    /**
     * In a JVM of its own (its own temp and home directories), killed with SIGKILL once the model
     * is loaded: the tokenizer's native library is under the work directory, nothing is under the
     * home directory, and ONNX Runtime's extraction folder is already gone.
     */
    @Test
    void nativeLibrariesStayInTheWorkDirectoryAndNothingIsLeftInTempOrHome(@TempDir Path child)
            throws Exception {
        Path temp = Files.createDirectories(child.resolve("tmp"));
        Path home = Files.createDirectories(child.resolve("home"));
        Path work = child.resolve("work");
        ProcessBuilder builder =
                new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Djava.io.tmpdir=" + temp,
                        "-Duser.home=" + home,
                        "-cp",
                        System.getProperty("java.class.path"),
                        MiniLmLoadProbe.class.getName(),
                        work.toString());
        builder.environment().remove("DJL_CACHE_DIR");
        builder.environment().put("HOME", home.toString());
        builder.redirectErrorStream(true);
        Process process = builder.start();
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = out.readLine()) != null && !line.equals(MiniLmLoadProbe.LOADED)) {
                seen.append(line).append('\n');
            }
            assertThat(line).as("the probe's output:%n%s", seen).isEqualTo(MiniLmLoadProbe.LOADED);
            try (Stream<Path> left = Files.list(temp)) {
                assertThat(left.map(p -> p.getFileName().toString()))
                        .as("left in the temp directory while the model is loaded")
                        .noneMatch(name -> name.startsWith("onnxruntime-java"));
            }
        } finally {
            process.destroyForcibly().waitFor();
        }
        try (Stream<Path> left = Files.list(temp)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("left in the temp directory after kill -9")
                    .noneMatch(name -> name.startsWith("onnxruntime-java"));
        }
        assertThat(home.resolve(".djl.ai")).doesNotExist();
        try (Stream<Path> left = Files.walk(temp)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("the tokenizer's native library is never extracted to the temp directory")
                    .noneMatch(name -> name.contains("tokenizers"));
        }
        // Extracted under work/djl/loader-<uuid> (one folder per class loader: a restarted job on
        // a cluster loads its own copy) and removed once loaded, so restarts pile up no copies.
        assertThat(work.resolve("djl")).isDirectory();
        try (Stream<Path> djl = Files.walk(work.resolve("djl"))) {
            assertThat(djl.map(p -> p.getFileName().toString()))
                    .as("copies of the tokenizer's native library left under the work directory")
                    .noneMatch(name -> name.endsWith(".so"));
        }
    }

    /**
     * An operator can close its embedder while its async embedding still runs: that call fails (or
     * finishes), later calls fail, and the JVM does not crash on a freed native session.
     */
    @Test
    void closingWhileAnotherThreadEmbedsFailsTheCallsInsteadOfCrashing() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            texts.add("GPU " + i + " on node n" + i + " fell off the bus after Xid 79");
        }
        Embedder embedder = MiniLmEmbedder.open(workDir);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<List<float[]>> running = caller.submit(() -> embedder.embed(texts));
            Thread.sleep(200);
            embedder.close();
            try {
                assertThat(running.get()).hasSize(texts.size());
            } catch (ExecutionException e) {
                assertThat(e.getCause())
                        .isInstanceOf(EmbeddingException.class)
                        .hasMessageContaining("was closed while embedding");
            }
            assertThatThrownBy(() -> embedder.embed(List.of("after the close")))
                    .isInstanceOf(EmbeddingException.class)
                    .hasMessageContaining("was closed while embedding");
        } finally {
            caller.shutdownNow();
        }
        // A new embedder loads the model again.
        try (Embedder again = MiniLmEmbedder.open(workDir)) {
            assertThat(again.embed(List.of("back"))).hasSize(1);
        }
    }

    @Test
    void anEmptyTextIsRefusedAsThatTextsFault() {
        try (Embedder embedder = MiniLmEmbedder.open(workDir)) {
            assertThatThrownBy(() -> embedder.embed(List.of("ok", " ")))
                    .isInstanceOf(EmbeddingException.class)
                    .matches(e -> ((EmbeddingException) e).isPerText());
            List<BatchEmbedding.Outcome> outcomes =
                    BatchEmbedding.embedEach(embedder, List.of("fine text", "", "another"));
            assertThat(outcomes)
                    .extracting(BatchEmbedding.Outcome::ok)
                    .containsExactly(true, false, true);
            assertThat(outcomes.get(1).failure()).contains("empty text");
        }
    }

    private static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        return Math.sqrt(sum);
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
