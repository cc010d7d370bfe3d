package dev.substrate.local.deadletters;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.KafkaHeader;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import dev.substrate.schemas.wire.ReplayHeader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Re-produces dead letters to the topic, partition, key, value and headers they were read from,
 * once their cause is fixed (a schema registered, a rule changed), each with a {@link ReplayHeader}
 * naming the record it replays. The ingest then takes the replay for what it is: not late, and not
 * a duplicate of the refused original.
 *
 * <pre>
 *  dead-letter topic ──read from the start──► selected (reason, rule, since), one per source record
 *                                                        │
 *  source partitions ──scanned after each original──► replays already there are skipped
 *                                                        │
 *                         key, value, headers + substrate.replay-of ──► source topic, same partition
 * </pre>
 *
 * <p>Running it twice replays nothing twice: the source topic itself is the record of what was
 * replayed (found by the header, from the original's offset on), so a run that crashed half-way is
 * simply run again; and the ingest deduplicates two replays of one dead letter should two runs
 * overlap. Its consumers read without a group: the job's offsets are untouched.
 *
 * <pre>{@code
 * ReplayReport report = DeadLetterReplayer.builder()
 *         .bootstrapServers("127.0.0.1:9092")
 *         .registry(SchemaRegistryConfig.fromEnvironment("http://127.0.0.1:8085"))
 *         .selection(new ReplaySelection(DeadLetterReason.UNKNOWN_SCHEMA_ID, null, null))
 *         .build()
 *         .run();
 * }</pre>
 */
public final class DeadLetterReplayer {

    /** How long Kafka may take to answer before the replay gives up, naming what it waited for. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final String bootstrapServers;
    private final SchemaRegistryConfig registry;
    private final String deadLetterTopic;
    private final ReplaySelection selection;
    private final boolean dryRun;
    private final Duration timeout;

    private DeadLetterReplayer(Builder b) {
        this.bootstrapServers = b.bootstrapServers;
        this.registry = b.registry;
        this.deadLetterTopic = b.deadLetterTopic;
        this.selection = b.selection;
        this.dryRun = b.dryRun;
        this.timeout = b.timeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads, selects and (unless a dry run) replays.
     *
     * @throws ReplayException when Kafka, the registry or the dead-letter topic cannot be used, or
     *     a replay could not be written (the report of what was done is in the message)
     */
    public ReplayReport run() {
        ReplayReport report = new ReplayReport(dryRun);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer();
                SchemaRegistryClient client = new SchemaRegistryClient(registry)) {
            Map<String, DeadLetter> candidates = select(consumer, client, report);
            Set<String> replayed = replaysAlreadyIn(consumer, candidates.values());
            List<DeadLetter> toReplay = new ArrayList<>();
            candidates.forEach(
                    (id, deadLetter) -> {
                        if (replayed.contains(id)) {
                            report.alreadyReplayed(deadLetter);
                        } else {
                            toReplay.add(deadLetter);
                        }
                    });
            if (dryRun) {
                toReplay.forEach(report::replayed);
            } else if (!toReplay.isEmpty()) {
                produce(toReplay, report);
            }
            return report;
        } catch (KafkaException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ReplayException(
                    "Kafka at "
                            + bootstrapServers
                            + " failed: "
                            + e.getMessage()
                            + (cause == e ? "" : " (" + cause.getMessage() + ")")
                            + ". Is it up, and is --kafka its bootstrap address?",
                    e);
        }
    }

    /** The selected dead letters, one per source record, in the order of the topic. */
    private Map<String, DeadLetter> select(
            KafkaConsumer<byte[], byte[]> consumer,
            SchemaRegistryClient client,
            ReplayReport report) {
        List<PartitionInfo> partitions = consumer.partitionsFor(deadLetterTopic, timeout);
        if (partitions == null || partitions.isEmpty()) {
            throw new ReplayException(
                    "No dead-letter topic "
                            + deadLetterTopic
                            + " at Kafka "
                            + bootstrapServers
                            + ": nothing was dead-lettered there, or --dead-letters-topic and"
                            + " --kafka name another topic or cluster.");
        }
        List<TopicPartition> all = new ArrayList<>();
        for (PartitionInfo p : partitions) {
            all.add(new TopicPartition(deadLetterTopic, p.partition()));
        }
        Map<TopicPartition, Long> from = new HashMap<>();
        all.forEach(tp -> from.put(tp, 0L));
        AvroWireDecoder<DeadLetter> decoder = new AvroWireDecoder<>(client, DeadLetter.class);
        Map<String, DeadLetter> selected = new LinkedHashMap<>();
        readAll(
                consumer,
                from,
                record -> {
                    report.read();
                    DeadLetter deadLetter = decode(decoder, record);
                    if (deadLetter == null) {
                        report.unreadable();
                        return;
                    }
                    if (!selection.selects(deadLetter)) {
                        return;
                    }
                    // The topic is written at least once: a dead letter may be in it twice.
                    String id = id(deadLetter);
                    if (selected.containsKey(id)) {
                        return;
                    }
                    report.selected(deadLetter);
                    if (deadLetter.getSourcePartition() < 0 || deadLetter.getSourceOffset() < 0) {
                        report.notReplayable(deadLetter);
                        return;
                    }
                    selected.put(id, deadLetter);
                });
        return selected;
    }

    private DeadLetter decode(AvroWireDecoder<DeadLetter> decoder, ConsumerRecord<?, ?> record) {
        try {
            DecodeResult<DeadLetter> result = decoder.decode((byte[]) record.value());
            return result.ok() ? result.record() : null;
        } catch (SchemaRegistryException e) {
            throw new ReplayException(
                    "The schema registry at "
                            + registry.url()
                            + " is unavailable ("
                            + e.getMessage()
                            + "): dead letters cannot be read without it. Is it up, and is"
                            + " --registry its URL?",
                    e);
        }
    }

    /**
     * The {@link ReplayHeader} values in the source partitions of {@code candidates}, each read
     * from just after its earliest candidate (a replay always comes after what it replays) to its
     * current end.
     */
    private Set<String> replaysAlreadyIn(
            KafkaConsumer<byte[], byte[]> consumer, Iterable<DeadLetter> candidates) {
        Map<TopicPartition, Long> from = new HashMap<>();
        for (DeadLetter d : candidates) {
            from.merge(
                    new TopicPartition(d.getSourceTopic(), d.getSourcePartition()),
                    d.getSourceOffset() + 1,
                    Math::min);
        }
        Set<String> replayed = new HashSet<>();
        if (from.isEmpty()) {
            return replayed;
        }
        readAll(
                consumer,
                from,
                record -> {
                    for (Header header : record.headers().headers(ReplayHeader.NAME)) {
                        if (header.value() != null) {
                            replayed.add(new String(header.value(), StandardCharsets.UTF_8));
                        }
                    }
                });
        return replayed;
    }

    /** Reads each partition from its offset to the end it has now. */
    private void readAll(
            KafkaConsumer<byte[], byte[]> consumer,
            Map<TopicPartition, Long> from,
            Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        consumer.assign(from.keySet());
        Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet(), timeout);
        Set<TopicPartition> open = new HashSet<>();
        for (Map.Entry<TopicPartition, Long> e : from.entrySet()) {
            consumer.seek(e.getKey(), e.getValue());
            if (consumer.position(e.getKey(), timeout) < end.get(e.getKey())) {
                open.add(e.getKey());
            }
        }
        long quietSince = System.nanoTime();
        while (!open.isEmpty()) {
            var records = consumer.poll(Duration.ofMillis(200));
            if (!records.isEmpty()) {
                quietSince = System.nanoTime();
            }
            for (ConsumerRecord<byte[], byte[]> record : records) {
                TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                if (record.offset() < end.get(tp)) {
                    handler.accept(record);
                }
            }
            open.removeIf(tp -> consumer.position(tp, timeout) >= end.get(tp));
            if (System.nanoTime() - quietSince > timeout.toNanos()) {
                throw new ReplayException(
                        "Kafka at "
                                + bootstrapServers
                                + " sent nothing for "
                                + timeout.toSeconds()
                                + " s while "
                                + open
                                + " had more to read. Is the broker up?");
            }
        }
        consumer.assign(List.of());
    }

    private void produce(List<DeadLetter> toReplay, ReplayReport report) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (DeadLetter deadLetter : toReplay) {
                sent.add(producer.send(replayOf(deadLetter)));
            }
            producer.flush();
            for (int i = 0; i < sent.size(); i++) {
                try {
                    sent.get(i).get();
                    report.replayed(toReplay.get(i));
                } catch (ExecutionException e) {
                    failures.add(id(toReplay.get(i)) + ": " + e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ReplayException("Interrupted while replaying", e);
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new ReplayException(
                    failures.size()
                            + " of "
                            + toReplay.size()
                            + " replays were not written ("
                            + report.replayed()
                            + " were), e.g. "
                            + failures.get(0)
                            + ". Run the replay again: what was written is skipped.");
        }
    }

    /** The original key, value and headers, to the original partition, marked as a replay. */
    private static ProducerRecord<byte[], byte[]> replayOf(DeadLetter deadLetter) {
        List<Header> headers = new ArrayList<>();
        if (deadLetter.getOriginalHeaders() != null) {
            for (KafkaHeader h : deadLetter.getOriginalHeaders()) {
                // A replay of a replay names only the record it replays.
                if (!ReplayHeader.NAME.equals(h.getKey())) {
                    headers.add(new RecordHeader(h.getKey(), bytes(h.getValue())));
                }
            }
        }
        headers.add(
                new RecordHeader(
                        ReplayHeader.NAME, id(deadLetter).getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(
                deadLetter.getSourceTopic(),
                deadLetter.getSourcePartition(),
                null,
                bytes(deadLetter.getOriginalKey()),
                bytes(deadLetter.getOriginalValue()),
                headers);
    }

    private static String id(DeadLetter deadLetter) {
        return ReplayHeader.value(
                deadLetter.getSourceTopic(),
                deadLetter.getSourcePartition(),
                deadLetter.getSourceOffset());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        ByteBuffer view = buffer.duplicate();
        byte[] out = new byte[view.remaining()];
        view.get(out);
        return out;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        // Offsets older than the topic's retention are simply gone.
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "substrate-dead-letter-replay"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        // Kafka wants the delivery timeout to cover a request and the linger.
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                        (int) timeout.toMillis(),
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        (int) Math.max(1, timeout.toMillis() / 2),
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "substrate-dead-letter-replay"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    /** Builds a {@link DeadLetterReplayer}; Kafka, the registry and the selection are required. */
    public static final class Builder {
        private String bootstrapServers;
        private SchemaRegistryConfig registry;
        private String deadLetterTopic = "substrate.dead-letters";
        private ReplaySelection selection;
        private boolean dryRun;
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder() {}

        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The registry the dead letters' schema is registered in. */
        public Builder registry(SchemaRegistryConfig registry) {
            this.registry = registry;
            return this;
        }

        /** The dead-letter topic; {@code substrate.dead-letters} by default. */
        public Builder deadLetterTopic(String deadLetterTopic) {
            this.deadLetterTopic = deadLetterTopic;
            return this;
        }

        public Builder selection(ReplaySelection selection) {
            this.selection = selection;
            return this;
        }

        /** Select and report, but produce nothing. */
        public Builder dryRun(boolean dryRun) {
            this.dryRun = dryRun;
            return this;
        }

        /** How long Kafka may be silent before the replay gives up; 30 s by default. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public DeadLetterReplayer build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("Kafka bootstrap servers are required");
            }
            Objects.requireNonNull(registry, "registry");
            Objects.requireNonNull(selection, "selection");
            if (deadLetterTopic == null || deadLetterTopic.isBlank()) {
                throw new IllegalArgumentException("the dead-letter topic is required");
            }
            if (timeout == null || timeout.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("--timeout must be at least 1 s: " + timeout);
            }
            return new DeadLetterReplayer(this);
        }
    }
}
