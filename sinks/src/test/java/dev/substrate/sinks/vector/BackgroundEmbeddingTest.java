package dev.substrate.sinks.vector;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.embedding.EmbedderConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedding operator against a real OpenAI-compatible HTTP endpoint on the loopback interface
 * that can be held: the task is never made to wait for it, results and watermarks leave in order,
 * what waits is in the checkpoint and embedded after a restore, and a full backlog fails documents
 * with the reason instead of growing.
 */
class BackgroundEmbeddingTest {

    private static final Pattern INPUTS = Pattern.compile("\"input\"\\s*:\\s*\\[(.*?)\\]");

    private HttpServer server;
    private volatile CountDownLatch held = new CountDownLatch(0);

    @BeforeEach
    void startEndpoint() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/embeddings", this::answer);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stopEndpoint() {
        held.countDown();
        server.stop(0);
    }

    /** One vector per input text: [text length, 1, 0.5, 0.25]; waits while the endpoint is held. */
    private void answer(HttpExchange exchange) throws IOException {
        try {
            held.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String request =
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Matcher inputs = INPUTS.matcher(request);
        List<Integer> lengths = new ArrayList<>();
        if (inputs.find()) {
            Matcher text = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(inputs.group(1));
            while (text.find()) {
                lengths.add(text.group(1).length());
            }
        }
        StringBuilder body = new StringBuilder("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < lengths.size(); i++) {
            body.append(i > 0 ? "," : "")
                    .append("{\"object\":\"embedding\",\"index\":")
                    .append(i)
                    .append(",\"embedding\":[")
                    .append(lengths.get(i))
                    .append(".0,1.0,0.5,0.25]}");
        }
        body.append("],\"model\":\"test-model\"}");
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private BackgroundEmbedding.Settings settings(int batchSize, int maxBacklog) {
        EmbedderConfig endpoint =
                EmbedderConfig.openAi(
                        "http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
                        "test-model",
                        "1");
        return BackgroundEmbedding.settings(endpoint)
                .batchSize(batchSize)
                .maxDelay(Duration.ofMillis(10))
                .maxBacklog(maxBacklog);
    }

    private static OneInputStreamOperatorTestHarness<VectorDocument, EmbeddedDocument> harness(
            BackgroundEmbedding.Settings settings) throws Exception {
        OneInputStreamOperatorTestHarness<VectorDocument, EmbeddedDocument> harness =
                new OneInputStreamOperatorTestHarness<>(
                        BackgroundEmbedding.operator(settings),
                        DocumentTypeInfo.DOCUMENTS.createSerializer(
                                new org.apache.flink.api.common.serialization
                                        .SerializerConfigImpl()));
        return harness;
    }

    private static VectorDocument document(int n) {
        return VectorDocument.builder()
                .id("doc-" + n)
                .kind("test")
                .text("text number " + "x".repeat(n))
                .time(Instant.ofEpochSecond(1_000 + n))
                .build();
    }

    /** Advances processing time until {@code count} records (and watermarks) are out. */
    private static List<Object> awaitOutput(
            OneInputStreamOperatorTestHarness<VectorDocument, EmbeddedDocument> harness, int count)
            throws Exception {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long time = harness.getProcessingTime();
        while (harness.getOutput().size() < count && System.nanoTime() < giveUp) {
            time += 20;
            harness.setProcessingTime(time);
            Thread.sleep(5);
        }
        return new ArrayList<>(harness.getOutput());
    }

    @Test
    void theTaskNeverWaitsAndResultsLeaveInOrderWithTheWatermarkBehindThem() throws Exception {
        held = new CountDownLatch(1);
        try (var harness = harness(settings(4, 1_000))) {
            harness.open();
            long started = System.nanoTime();
            for (int n = 0; n < 30; n++) {
                harness.processElement(new StreamRecord<>(document(n), 1_000L + n));
            }
            harness.processWatermark(new Watermark(1_029));
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .as("30 documents accepted while the endpoint answers nothing")
                    .isLessThan(Duration.ofSeconds(5));
            harness.setProcessingTime(harness.getProcessingTime() + 100);
            assertThat(harness.getOutput()).as("nothing out while the endpoint is held").isEmpty();

            held.countDown();
            List<Object> out = awaitOutput(harness, 31);
            assertThat(out).hasSize(31);
            for (int n = 0; n < 30; n++) {
                @SuppressWarnings("unchecked")
                StreamRecord<EmbeddedDocument> record = (StreamRecord<EmbeddedDocument>) out.get(n);
                assertThat(record.getValue().id()).isEqualTo("doc-" + n);
                assertThat(record.getValue().isStorable()).isTrue();
                assertThat(record.getTimestamp()).isEqualTo(1_000L + n);
                assertThat(record.getValue().vector()[0])
                        .isEqualTo((float) document(n).text().length());
            }
            assertThat(out.get(30)).isEqualTo(new Watermark(1_029));
        }
    }

    @Test
    void documentsWaitingAtACheckpointAreEmbeddedAfterARestore() throws Exception {
        held = new CountDownLatch(1);
        OperatorSubtaskState snapshot;
        try (var harness = harness(settings(4, 1_000))) {
            harness.open();
            for (int n = 0; n < 10; n++) {
                harness.processElement(new StreamRecord<>(document(n), 1_000L + n));
            }
            snapshot = harness.snapshot(1, harness.getProcessingTime());
            assertThat(harness.getOutput()).isEmpty();
            held.countDown(); // this task is gone after the snapshot: what it does next is lost
        }
        try (var restored = harness(settings(4, 1_000))) {
            restored.initializeState(snapshot);
            restored.open();
            List<Object> out = awaitOutput(restored, 10);
            assertThat(out)
                    .map(r -> ((EmbeddedDocument) ((StreamRecord<?>) r).getValue()).id())
                    .containsExactly(
                            "doc-0", "doc-1", "doc-2", "doc-3", "doc-4", "doc-5", "doc-6", "doc-7",
                            "doc-8", "doc-9");
        }
    }

    @Test
    void aFullBacklogFailsNewDocumentsWithTheReasonInsteadOfGrowing() throws Exception {
        held = new CountDownLatch(1);
        try (var harness = harness(settings(2, 5))) {
            harness.open();
            for (int n = 0; n < 8; n++) {
                harness.processElement(new StreamRecord<>(document(n), 1_000L + n));
            }
            List<Object> refused = new ArrayList<>(harness.getOutput());
            assertThat(refused).hasSize(3);
            assertThat(refused)
                    .map(r -> (EmbeddedDocument) ((StreamRecord<?>) r).getValue())
                    .allSatisfy(
                            d -> {
                                assertThat(d.isStorable()).isFalse();
                                assertThat(d.failure())
                                        .contains("embedding backlog full (5 documents)");
                            })
                    .extracting(EmbeddedDocument::id)
                    .containsExactly("doc-5", "doc-6", "doc-7");
            held.countDown();
            assertThat(awaitOutput(harness, 8)).hasSize(8);
        }
    }
}
