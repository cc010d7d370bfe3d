package dev.substrate.collector;

import dev.substrate.events.GpuSample;
import dev.substrate.schemas.wire.AvroWireEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves readings from the {@link ReadingBuffer} to Kafka on its own thread, in the Confluent wire
 * format, keyed by GPU uuid (one GPU's readings stay in one partition, in order).
 *
 * <p>At most {@code maxInFlight} readings are handed to the producer and not yet acknowledged; the
 * producer retries them itself (idempotently, so a retry never writes a second copy) for as long as
 * Kafka is away, and everything else waits in the buffer. So memory is bounded by the buffer plus
 * the in-flight readings, whatever the outage, and when Kafka comes back the producer reconnects,
 * the in-flight readings are acknowledged and the buffer drains. A reading the producer gives back
 * (a non-retriable error) returns to the buffer as its oldest.
 *
 * <p>Before the first send, and after a send failed, the publisher waits for the topic's metadata
 * ({@code max.block.ms} at a time) instead of taking readings from the buffer, so nothing is taken
 * out while Kafka cannot take it.
 */
final class KafkaPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPublisher.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int LOGGED_ERRORS = 20;

    private final Producer<byte[], byte[]> producer;
    private final AvroWireEncoder encoder;
    private final String topic;
    private final String bootstrapServers;
    private final ReadingBuffer buffer;
    private final Duration retryBackoff;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final Thread thread;
    private volatile String lastError;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile long pausedUntilNanos;
    private volatile boolean stopping;

    KafkaPublisher(
            Producer<byte[], byte[]> producer,
            AvroWireEncoder encoder,
            String topic,
            String bootstrapServers,
            ReadingBuffer buffer,
            Duration retryBackoff) {
        this.producer = producer;
        this.encoder = encoder;
        this.topic = topic;
        this.bootstrapServers = bootstrapServers;
        this.buffer = buffer;
        this.retryBackoff = retryBackoff;
        this.thread = new Thread(this::run, "collector-kafka-publisher");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        boolean topicKnown = false;
        try {
            while (!stopping) {
                if (!topicKnown) {
                    topicKnown = awaitTopic();
                    continue;
                }
                long pause = pausedUntilNanos - System.nanoTime();
                if (pause > 0) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(pause, POLL.toNanos()));
                    continue;
                }
                GpuSample reading = buffer.take(POLL);
                if (reading == null) {
                    continue;
                }
                if (buffer.counts().inFlight() == 1) {
                    lastProgressNanos = System.nanoTime(); // a stall counts from the first send
                }
                topicKnown = send(reading);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits up to {@code max.block.ms} for the topic's partitions; false when they did not come.
     */
    private boolean awaitTopic() throws InterruptedException {
        try {
            producer.partitionsFor(topic);
            return true;
        } catch (TimeoutException e) {
            error(
                    "no answer about topic "
                            + topic
                            + " from Kafka at "
                            + bootstrapServers
                            + ": Kafka is not reachable, or the topic does not exist (create it,"
                            + " or check --topic); retrying");
        } catch (KafkaException e) {
            error("Kafka at " + bootstrapServers + ": " + e.getMessage() + "; retrying");
        }
        if (!stopping) {
            TimeUnit.MILLISECONDS.sleep(retryBackoff.toMillis());
        }
        return false;
    }

    /** Hands one reading to the producer; false when the producer refused it at once. */
    private boolean send(GpuSample reading) {
        byte[] key = reading.getGpuUuid().getBytes(StandardCharsets.UTF_8);
        byte[] value = encoder.encode(reading);
        try {
            producer.send(
                    new ProducerRecord<>(topic, key, value),
                    (metadata, error) -> acknowledged(reading, error));
            return true;
        } catch (KafkaException e) {
            buffer.giveBack(reading);
            error("Kafka did not take a reading: " + e.getMessage() + "; retrying");
            return false;
        }
    }

    /** The producer's callback, on its I/O thread. */
    private void acknowledged(GpuSample reading, Exception error) {
        if (error == null) {
            sent.incrementAndGet();
            lastProgressNanos = System.nanoTime();
            buffer.delivered();
        } else {
            pausedUntilNanos = System.nanoTime() + retryBackoff.toNanos();
            error("Kafka refused a reading: " + error.getMessage() + "; sending it again");
            buffer.giveBack(reading);
        }
    }

    private void error(String message) {
        if (stopping) {
            return; // the producer was closed under a waiting call: not a Kafka problem
        }
        lastError = message;
        long n = errors.incrementAndGet();
        if (n <= LOGGED_ERRORS || n % 100 == 0) {
            LOG.warn("{} ({} Kafka errors so far)", message, n);
        }
    }

    /** Readings Kafka has acknowledged. */
    long sent() {
        return sent.get();
    }

    String lastError() {
        return lastError;
    }

    /** How long readings have been in flight without any acknowledgement; zero when none are. */
    Duration stalledFor() {
        if (buffer.counts().inFlight() == 0) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(System.nanoTime() - lastProgressNanos);
    }

    /**
     * Waits until the buffer is empty and Kafka acknowledged everything in flight, at most {@code
     * timeout}; true when it did.
     */
    boolean drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ReadingBuffer.Counts c = buffer.counts();
                c.waiting() > 0 || c.inFlight() > 0;
                c = buffer.counts()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        return true;
    }

    /** Stops sending and closes the producer, giving it {@code timeout} for what is in flight. */
    void close(Duration timeout) {
        stopping = true;
        thread.interrupt(); // it may be waiting up to max.block.ms for the topic's metadata
        try {
            thread.join(Math.max(1000, 2 * POLL.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(timeout);
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
