package dev.substrate.bench;

import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the alert topics from their current end while a live run goes on and measures, per alert,
 * the time from the event time of the sample that triggered it to (a) the moment this consumer
 * received it and (b) the broker's append time of the alert record (the topics are created with
 * {@code message.timestamp.type=LogAppendTime}). Values are decoded with the wire-format decoder.
 *
 * <ul>
 *   <li>{@link GpuAnomaly}: {@code timestamp} is the event time of the reading that confirmed the
 *       excursion, the sample that made the job emit it ({@code started_at} is the first
 *       out-of-band reading, earlier by design: the excursion must last three readings).
 *   <li>{@link NodeHealth}: {@code changed_at} is the newest sample time of the node when the
 *       change was evaluated, i.e. the triggering sample's, for every status but DOWN; a DOWN's
 *       {@code changed_at} is a deadline (last sample + heartbeat timeout) reached by a timer, not
 *       a sample, so DOWN records are counted but not measured.
 * </ul>
 */
final class AlertLatencyProbe implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(20);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final SchemaRegistryClient registry;
    private final AvroWireDecoder<GpuAnomaly> anomalies;
    private final AvroWireDecoder<NodeHealth> health;
    private final String anomalyTopic;
    private final String healthTopic;
    private final Latencies anomalyLatency = new Latencies();
    private final Latencies healthLatency = new Latencies();
    private final CountDownLatch positioned = new CountDownLatch(1);
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastAlertNanos = System.nanoTime();
    private long healthDown;
    private long notDecoded;

    AlertLatencyProbe(
            String bootstrap, String registryUrl, String anomalyTopic, String healthTopic) {
        this.anomalyTopic = anomalyTopic;
        this.healthTopic = healthTopic;
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl));
        this.anomalies = new AvroWireDecoder<>(registry, GpuAnomaly.class);
        this.health = new AvroWireDecoder<>(registry, NodeHealth.class);
        this.consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                ConsumerConfig.CLIENT_ID_CONFIG,
                                "substrate-bench-alert-probe",
                                // A fetch returns as soon as there is data; this bounds an idle
                                // one.
                                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                                50),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
        this.thread = new Thread(this::consume, "bench-alert-probe");
        this.thread.setDaemon(true);
    }

    /** Starts reading from the topics' current end; returns once the positions are taken. */
    void start() throws InterruptedException {
        thread.start();
        if (!positioned.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("alert probe could not position on the topics");
        }
        throwIfFailed();
    }

    private void consume() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(anomalyTopic, healthTopic)) {
                consumer.partitionsFor(topic)
                        .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            // seekToEnd is lazy: position() makes it happen now, before any alert is produced.
            partitions.forEach(consumer::position);
            positioned.countDown();
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                long receivedAt = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    lastAlertNanos = System.nanoTime();
                    long appendedAt =
                            record.timestampType() == TimestampType.LOG_APPEND_TIME
                                    ? record.timestamp()
                                    : -1;
                    if (record.topic().equals(anomalyTopic)) {
                        DecodeResult<GpuAnomaly> decoded = anomalies.decode(record.value());
                        if (!decoded.ok()) {
                            notDecoded++;
                            continue;
                        }
                        long sampleTime = decoded.record().getTimestamp().toEpochMilli();
                        anomalyLatency.add(receivedAt - sampleTime, appendedAt, sampleTime);
                    } else {
                        DecodeResult<NodeHealth> decoded = health.decode(record.value());
                        if (!decoded.ok()) {
                            notDecoded++;
                            continue;
                        }
                        if (decoded.record().getStatus() == NodeStatus.DOWN) {
                            healthDown++;
                            continue;
                        }
                        long sampleTime = decoded.record().getChangedAt().toEpochMilli();
                        healthLatency.add(receivedAt - sampleTime, appendedAt, sampleTime);
                    }
                }
            }
        } catch (Exception e) {
            failure.compareAndSet(null, e);
            positioned.countDown();
        }
    }

    /** Waits until no alert arrived for {@code quiet}, at most {@code atMost}. */
    void awaitQuiet(Duration quiet, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline
                && System.nanoTime() - lastAlertNanos < quiet.toNanos()) {
            Thread.sleep(100);
        }
        throwIfFailed();
    }

    private void throwIfFailed() {
        Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("alert probe failed: " + e, e);
        }
    }

    /** Stops consuming and describes what was measured, one line per alert kind. */
    String report() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(10));
        throwIfFailed();
        StringBuilder out = new StringBuilder();
        out.append(anomalyLatency.describe("alerts: GPU anomalies (" + anomalyTopic + ")"));
        out.append(healthLatency.describe("alerts: node health (" + healthTopic + ")"));
        out.append(
                String.format(
                        Locale.ROOT,
                        "      node health DOWN changes (timer-driven, not measured): %d;"
                                + " alert records not decodable: %d%n",
                        healthDown,
                        notDecoded));
        return out.toString();
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close();
        registry.close();
    }

    /** Latencies of one alert kind, in milliseconds. */
    static final class Latencies {
        private final List<Long> received = new ArrayList<>();
        private final List<Long> appended = new ArrayList<>();
        private long firstSample = Long.MAX_VALUE;
        private long lastSample = Long.MIN_VALUE;

        void add(long receivedLatency, long appendedAt, long sampleTime) {
            received.add(receivedLatency);
            if (appendedAt >= 0) {
                appended.add(appendedAt - sampleTime);
            }
            firstSample = Math.min(firstSample, sampleTime);
            lastSample = Math.max(lastSample, sampleTime);
        }

        String describe(String what) {
            if (received.isEmpty()) {
                return String.format(Locale.ROOT, "%s: none raised%n", what);
            }
            return String.format(
                    Locale.ROOT,
                    "%s: %d over %.1f s of samples%n"
                            + "      received by consumer − sample event time: %s%n"
                            + "      broker append time   − sample event time: %s%n",
                    what,
                    received.size(),
                    (lastSample - firstSample) / 1000.0,
                    summary(received),
                    summary(appended));
        }

        /** p50, p99 and max by the nearest-rank method. */
        static String summary(List<Long> millis) {
            if (millis.isEmpty()) {
                return "n/a";
            }
            long[] sorted = millis.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(sorted);
            return String.format(
                    Locale.ROOT,
                    "p50 %,d ms / p99 %,d ms / max %,d ms",
                    rank(sorted, 0.50),
                    rank(sorted, 0.99),
                    sorted[sorted.length - 1]);
        }

        static long rank(long[] sorted, double quantile) {
            int index = (int) Math.ceil(quantile * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }
    }
}
