package dev.substrate.collector;

import static dev.substrate.collector.GpuCollectorITCase.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.testkit.SampleData;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka away: the collector's memory stays within its buffer and in-flight bound, it drops (and
 * counts) exactly the readings that did not fit, oldest first, and once a broker listens again it
 * reconnects and delivers the rest, each reading once.
 */
class GpuCollectorOutageITCase {

    private static final String TOPIC = "substrate.gpu-samples";

    @TempDir Path dir;
    private EmbeddedSchemaRegistry registry;
    private List<String> traceLines;
    private List<GpuSample> rows;

    @BeforeEach
    void setUp() throws Exception {
        registry = EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
        Path trace = SampleData.h100Trace();
        traceLines = Files.readAllLines(trace);
        rows = new NvidiaSmiCsvParser("us-east-1", "c1", "n1").parse(trace);
    }

    @AfterEach
    void tearDown() {
        registry.close();
    }

    private GpuCollector.Builder collector(int kafkaPort, int buffer, int maxInFlight) {
        return GpuCollector.builder()
                .bootstrapServers("127.0.0.1:" + kafkaPort)
                .registry(SchemaRegistryConfig.of(registry.url()))
                .bufferCapacity(buffer)
                .maxInFlight(maxInFlight)
                .retryBackoff(Duration.ofMillis(200))
                .producerProperties(
                        Map.of("max.block.ms", "500", "reconnect.backoff.max.ms", "200"))
                .labels("us-east-1", "c1", "n1")
                .timeZone(ZoneOffset.UTC)
                .inputSettings(s -> s.pollInterval(Duration.ofMillis(20)));
    }

    private static EmbeddedKafkaBroker startBroker(Path logDir, int port) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(logDir).port(port).start();
        broker.createTopics(Map.of(TOPIC, 1));
        return broker;
    }

    @Test
    void aBrokerThatIsNotThereYetGetsTheNewestReadingsOnceItListens() throws Exception {
        int port = freePort(); // nothing listens there yet
        try (GpuCollector collector =
                collector(port, 100, 10).csvFile(SampleData.h100Trace(), false).build()) {
            collector.start();
            BoundsWatcher bounds = new BoundsWatcher(collector, 100, 10);
            awaitUntil(() -> collector.status().inputsFinished(), () -> collector.status().line());
            awaitUntil(
                    () -> collector.status().lastKafkaError() != null,
                    () -> collector.status().line());
            CollectorStatus waiting = collector.status();
            assertThat(waiting.read()).isEqualTo(709);
            assertThat(waiting.buffered()).isEqualTo(100);
            assertThat(waiting.dropped()).isEqualTo(609); // exactly what did not fit
            assertThat(waiting.sent()).isZero();
            assertThat(waiting.lastKafkaError()).contains("no answer about topic " + TOPIC);

            try (EmbeddedKafkaBroker broker = startBroker(dir.resolve("kafka"), port)) {
                assertThat(collector.awaitDelivered(Duration.ofSeconds(60)))
                        .as(() -> collector.status().line())
                        .isTrue();
                bounds.stop();
                assertThat(collector.status().sent()).isEqualTo(100);
                assertThat(collector.status().dropped()).isEqualTo(609);
                // The oldest were dropped: the topic holds the trace's last 100 readings, in order.
                assertThat(
                                PublishedSamples.read(
                                        broker.bootstrapServers(), registry.url(), TOPIC, 100))
                        .containsExactlyElementsOf(rows.subList(609, 709));
            }
        }
    }

    @Test
    void aBrokerThatStopsAndComesBackGetsEverythingThatFitInTheBuffer() throws Exception {
        Path file = dir.resolve("gpu.csv");
        append(file, traceLines.subList(0, 41)); // header and 40 readings: they fit
        int port = freePort();
        EmbeddedKafkaBroker broker = startBroker(dir.resolve("kafka"), port);
        try (GpuCollector collector = collector(port, 50, 10).csvFile(file, true).build()) {
            collector.start();
            BoundsWatcher bounds = new BoundsWatcher(collector, 50, 10);
            awaitUntil(() -> collector.status().sent() == 40, () -> collector.status().line());

            broker.close(); // the outage
            append(file, traceLines.subList(41, 341)); // 300 more readings
            awaitUntil(
                    () -> collector.status().read() == 340 && collector.status().buffered() == 50,
                    () -> collector.status().line());
            CollectorStatus during = collector.status();
            assertThat(during.sent()).isEqualTo(40);
            // Up to 10 were handed to the producer before it noticed Kafka was gone.
            assertThat(during.inFlight()).isBetween(0, 10);
            // Every reading is sent, waiting, in flight or counted as dropped: exactly once.
            assertThat(during.sent() + during.buffered() + during.inFlight() + during.dropped())
                    .isEqualTo(340);
            assertThat(during.dropped()).isGreaterThanOrEqualTo(300 - 10 - 50);

            broker = startBroker(dir.resolve("kafka"), port); // back, same port, same data
            // The producer retries what it held until the broker answers again; one CI run saw
            // no acknowledgement in the first minute after the restarted broker came back.
            awaitUntil(
                    () ->
                            collector.status().undelivered() == 0
                                    && collector.status().sent() + collector.status().dropped()
                                            == 340,
                    () -> collector.status().line(),
                    Duration.ofMinutes(3));
            bounds.stop();
            // A reading the producer gave back while Kafka was away was the oldest: dropped too.
            long dropped = collector.status().dropped();
            assertThat(dropped).isGreaterThanOrEqualTo(during.dropped());

            List<GpuSample> landed =
                    PublishedSamples.read(
                            broker.bootstrapServers(), registry.url(), TOPIC, 340 - dropped);
            assertThat(landed).hasSize((int) (340 - dropped)).doesNotHaveDuplicates();
            assertThat(landed.subList(0, 40)).containsExactlyElementsOf(rows.subList(0, 40));
            // The newest 50 waited in the buffer; the rest were in flight when Kafka went away.
            assertThat(landed).containsAll(rows.subList(290, 340));
            List<GpuSample> inFlightWhenKafkaWent =
                    new ArrayList<>(landed.subList(40, landed.size()));
            inFlightWhenKafkaWent.removeAll(rows.subList(290, 340));
            assertThat(inFlightWhenKafkaWent)
                    .hasSizeLessThanOrEqualTo(10)
                    .isSubsetOf(rows.subList(40, 290));
        } finally {
            broker.close();
        }
    }

    /**
     * Samples the collector's status while it runs: buffer and in-flight never pass their bounds.
     */
    private static final class BoundsWatcher {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger maxBuffered = new AtomicInteger();
        private final AtomicInteger maxInFlight = new AtomicInteger();
        private final Thread thread;
        private final int bufferBound;
        private final int inFlightBound;

        BoundsWatcher(GpuCollector collector, int bufferBound, int inFlightBound) {
            this.bufferBound = bufferBound;
            this.inFlightBound = inFlightBound;
            thread =
                    new Thread(
                            () -> {
                                while (running.get()) {
                                    CollectorStatus s = collector.status();
                                    maxBuffered.accumulateAndGet(s.buffered(), Math::max);
                                    maxInFlight.accumulateAndGet(s.inFlight(), Math::max);
                                    try {
                                        Thread.sleep(1);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            });
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
            assertThat(maxBuffered.get()).isEqualTo(bufferBound); // it did fill up, and no further
            assertThat(maxInFlight.get()).isBetween(1, inFlightBound);
        }
    }

    private static void append(Path file, List<String> lines) throws Exception {
        List<String> withNewlines = new ArrayList<>();
        lines.forEach(l -> withNewlines.add(l + "\n"));
        Files.writeString(
                file,
                String.join("", withNewlines),
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
