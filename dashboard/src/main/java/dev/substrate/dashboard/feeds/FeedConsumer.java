package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every {@link Feed}'s topic on one thread and hands each decoded record to its feed. It
 * starts {@code lookBack} before now (by Kafka timestamp), so a dashboard opened mid-run shows the
 * recent past at once; it commits nothing and joins no group (every dashboard reads everything). A
 * topic that does not exist yet is looked for again every few seconds; a record that does not
 * decode is counted and skipped (the dashboard is a reader, the job owns the data); when the
 * registry or Kafka cannot be reached, it says so in the log, waits and reads the same record
 * again.
 */
public final class FeedConsumer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FeedConsumer.class);
    private static final Duration RETRY_EVERY = Duration.ofSeconds(2);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, Route<?>> routes = new HashMap<>();
    private final UpdateHub hub;
    private final DashboardMetrics metrics;
    private final Duration lookBack;
    private final Clock clock;
    private final Thread thread;
    private volatile boolean running = true;
    private final CountDownLatch stopping = new CountDownLatch(1);

    /**
     * @param bootstrapServers the Kafka cluster the job writes to
     * @param registry the registry the job registers its output schemas in
     */
    public FeedConsumer(
            String bootstrapServers,
            SchemaRegistryClient registry,
            List<Feed<?>> feeds,
            UpdateHub hub,
            DashboardMetrics metrics,
            Duration lookBack,
            Clock clock) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "substrate-dashboard");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        // A reader must never create the job's output topics (with the broker's defaults).
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        this.consumer = new KafkaConsumer<>(props);
        for (Feed<?> feed : feeds) {
            routes.put(feed.topic(), Route.of(feed, registry));
        }
        this.hub = Objects.requireNonNull(hub, "hub");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.lookBack = lookBack;
        this.clock = clock;
        this.thread = new Thread(this::run, "dashboard-feeds");
        this.thread.setDaemon(true);
    }

    /** Starts reading on its own thread. */
    public FeedConsumer start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            List<String> missing = new ArrayList<>(routes.keySet());
            List<TopicPartition> assigned = new ArrayList<>();
            long nextLookup = 0;
            while (running) {
                try {
                    if (!missing.isEmpty() && System.nanoTime() >= nextLookup) {
                        assignNew(missing, assigned);
                        nextLookup = System.nanoTime() + RETRY_EVERY.toNanos();
                    }
                    if (assigned.isEmpty()) {
                        pause();
                        continue;
                    }
                    readOnce();
                } catch (KafkaException e) {
                    if (e instanceof WakeupException) {
                        throw e;
                    }
                    // Kafka unreachable or a partition moving: the dashboard outlives it.
                    LOG.warn(
                            "Dashboard cannot read the Kafka output topics ({}); retrying in {}",
                            e.toString(),
                            RETRY_EVERY);
                    pause();
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("The dashboard stopped reading the Kafka output topics", e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void readOnce() throws InterruptedException {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        for (TopicPartition partition : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                if (!deliver(record)) {
                    consumer.seek(partition, record.offset());
                    pause();
                    break;
                }
            }
        }
    }

    /** Waits a little, or until closed; never with the interrupt flag, which the consumer hates. */
    private void pause() throws InterruptedException {
        stopping.await(RETRY_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void assignNew(List<String> missing, List<TopicPartition> assigned) {
        List<TopicPartition> fresh = new ArrayList<>();
        for (String topic : List.copyOf(missing)) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (partitions == null || partitions.isEmpty()) {
                continue;
            }
            missing.remove(topic);
            partitions.forEach(p -> fresh.add(new TopicPartition(topic, p.partition())));
        }
        if (fresh.isEmpty()) {
            return;
        }
        assigned.addAll(fresh);
        consumer.assign(assigned);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = clock.millis() - lookBack.toMillis();
        fresh.forEach(tp -> since.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets =
                consumer.offsetsForTimes(since, Duration.ofSeconds(10));
        List<TopicPartition> toEnd = new ArrayList<>();
        for (TopicPartition tp : fresh) {
            OffsetAndTimestamp offset = offsets.get(tp);
            if (offset == null) {
                toEnd.add(tp);
            } else {
                consumer.seek(tp, offset.offset());
            }
        }
        consumer.seekToEnd(toEnd);
        LOG.info("Dashboard reading {} (from {} back)", fresh, lookBack);
    }

    /** False when the record must be read again later (the registry is unreachable). */
    private boolean deliver(ConsumerRecord<byte[], byte[]> record) {
        Route<?> route = routes.get(record.topic());
        try {
            route.deliver(record.value(), hub, metrics);
            return true;
        } catch (SchemaRegistryException e) {
            LOG.warn(
                    "Schema registry unavailable reading {}-{}@{}; retrying: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return false;
        } catch (RuntimeException e) {
            LOG.warn(
                    "Skipping {}-{}@{} on the dashboard: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.toString());
            metrics.undecodable(record.topic());
            return true;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        stopping.countDown();
        consumer.wakeup();
        thread.join(Duration.ofSeconds(5).toMillis());
    }

    /** A feed and its decoder. */
    private record Route<T extends SpecificRecord>(Feed<T> feed, AvroWireDecoder<T> decoder) {

        static <T extends SpecificRecord> Route<T> of(Feed<T> feed, SchemaRegistryClient registry) {
            return new Route<>(feed, new AvroWireDecoder<>(registry, feed.recordClass()));
        }

        void deliver(byte[] value, UpdateHub hub, DashboardMetrics metrics)
                throws SchemaRegistryException {
            DecodeResult<T> decoded = decoder.decode(value);
            if (!decoded.ok()) {
                LOG.warn(
                        "Undecodable record on {}: {} {}",
                        feed.topic(),
                        decoded.failure(),
                        decoded.message());
                metrics.undecodable(feed.topic());
                return;
            }
            metrics.record(feed.topic());
            feed.accept(decoded.record(), hub);
        }
    }
}
