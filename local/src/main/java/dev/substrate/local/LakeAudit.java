package dev.substrate.local;

import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import dev.substrate.sinks.lake.LakeReader;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Checks the promise that nothing is lost and nothing is duplicated: reads every input topic from
 * its first offset and every lake table an input record can land in, and finds each Kafka record in
 * exactly one place, exactly once. A record the ingest refused is found in {@code dead_letters} by
 * its topic, partition and offset; every other record by its {@code event_id} in its raw table,
 * {@code late_events} or {@code duplicate_events}, as many times in all as Kafka holds records with
 * that id, and at most once in the raw table.
 *
 * <p>The Kafka outputs are counted too: records and distinct records per topic, so repeats that an
 * at-least-once output delivered after a restart are reported (not failed: they are allowed).
 *
 * <pre>{@code
 * AuditReport report = LakeAudit.builder()
 *         .kafka("127.0.0.1:9092").registry(client).lake(catalog)
 *         .outputTopics(List.of("substrate.node-health"))
 *         .build()
 *         .run();
 * report.clean(); // every input record in exactly one place, once
 * }</pre>
 */
public final class LakeAudit {

    private static final int EXAMPLES = 5;

    private final String bootstrapServers;
    private final SchemaRegistryClient registry;
    private final Catalog lake;
    private final List<String> outputTopics;

    private LakeAudit(Builder builder) {
        this.bootstrapServers = builder.bootstrapServers;
        this.registry = builder.registry;
        this.lake = builder.lake;
        this.outputTopics = List.copyOf(builder.outputTopics);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads Kafka and the lake and compares them. */
    public AuditReport run() throws SchemaRegistryException {
        Map<Coordinates, Integer> deadLetters = deadLetterCoordinates();
        Map<String, Set<Coordinates>> deadLettersSeen = new HashMap<>();
        Map<TopicPartition, AuditReport.PartitionCount> partitions = new LinkedHashMap<>();
        Findings findings = new Findings();
        Map<String, Map<String, Integer>> expected = new HashMap<>();

        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            for (EventType type : EventType.inputs()) {
                AvroWireDecoder<? extends SpecificRecord> decoder =
                        new AvroWireDecoder<>(registry, type.recordClass());
                int idPosition = type.schema().getField("event_id").pos();
                Map<String, Integer> ids =
                        expected.computeIfAbsent(type.topic(), t -> new HashMap<>());
                Set<Coordinates> seen =
                        deadLettersSeen.computeIfAbsent(type.topic(), t -> new HashSet<>());
                readAll(
                        consumer,
                        type.topic(),
                        partitions,
                        record -> {
                            Coordinates at =
                                    new Coordinates(
                                            record.topic(), record.partition(), record.offset());
                            if (deadLetters.containsKey(at)) {
                                seen.add(at);
                                partitions.get(at.partition()).deadLettered++;
                                return;
                            }
                            String eventId = eventId(decoder, record.value(), idPosition);
                            if (eventId == null) {
                                findings.missing(
                                        1, at + " cannot be decoded and is not in dead_letters");
                                return;
                            }
                            partitions.get(at.partition()).events++;
                            ids.merge(eventId, 1, Integer::sum);
                        });
            }
        }

        for (var entry : deadLetters.entrySet()) {
            Coordinates at = entry.getKey();
            // Partition -1: a dead letter the job made itself (a document it could not embed),
            // not a Kafka record; its place is its document, so two share these coordinates.
            if (entry.getValue() > 1 && at.partitionNumber() >= 0) {
                findings.repeated(
                        entry.getValue() - 1,
                        at + " is in dead_letters " + entry.getValue() + " times");
            }
            if (!deadLettersSeen.getOrDefault(at.topic(), Set.of()).contains(at)
                    && expected.containsKey(at.topic())) {
                findings.repeated(entry.getValue(), at + " is in dead_letters but not in Kafka");
            }
        }

        Map<String, Long> landed = new LinkedHashMap<>();
        for (EventType type : EventType.inputs()) {
            Map<String, Integer> raw = idsIn(type.tableName(), null);
            Map<String, Integer> late = idsIn(IngestStage.LATE_EVENTS.name(), type.topic());
            Map<String, Integer> duplicates =
                    idsIn(IngestStage.DUPLICATE_EVENTS.name(), type.topic());
            landed.put(type.tableName(), sum(raw));
            landed.merge(IngestStage.LATE_EVENTS.name(), sum(late), Long::sum);
            landed.merge(IngestStage.DUPLICATE_EVENTS.name(), sum(duplicates), Long::sum);
            compare(type, expected.get(type.topic()), raw, late, duplicates, findings);
        }
        landed.put(
                EventType.DEAD_LETTER.tableName(),
                deadLetters.values().stream().mapToLong(Integer::longValue).sum());

        Map<String, AuditReport.OutputCount> outputs = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            for (String topic : outputTopics) {
                outputs.put(topic, countOutput(consumer, topic));
            }
        }
        return new AuditReport(
                List.copyOf(partitions.values()),
                landed,
                findings.missing,
                findings.repeated,
                List.copyOf(findings.missingExamples),
                List.copyOf(findings.repeatedExamples),
                outputs);
    }

    private static void compare(
            EventType type,
            Map<String, Integer> expected,
            Map<String, Integer> raw,
            Map<String, Integer> late,
            Map<String, Integer> duplicates,
            Findings findings) {
        String table = type.tableName();
        for (var entry : expected.entrySet()) {
            String id = entry.getKey();
            int inKafka = entry.getValue();
            int inRaw = raw.getOrDefault(id, 0);
            int found = inRaw + late.getOrDefault(id, 0) + duplicates.getOrDefault(id, 0);
            if (inRaw > 1) {
                findings.repeated(
                        inRaw - 1, "event " + id + " is in " + table + " " + inRaw + " times");
            } else if (found > inKafka) {
                findings.repeated(
                        found - inKafka,
                        "event " + id + " is in the lake " + found + " times, in Kafka " + inKafka);
            }
            if (found < inKafka) {
                findings.missing(
                        inKafka - found,
                        "event "
                                + id
                                + " of "
                                + type.topic()
                                + " ("
                                + inKafka
                                + " in Kafka) is in no lake table"
                                + (found > 0 ? " as often" : ""));
            }
        }
        for (Map<String, Integer> rows : List.of(raw, late, duplicates)) {
            for (var entry : rows.entrySet()) {
                if (!expected.containsKey(entry.getKey())) {
                    findings.repeated(
                            entry.getValue(),
                            "event "
                                    + entry.getKey()
                                    + " is in the lake but in no record of "
                                    + type.topic());
                }
            }
        }
    }

    /** Event ids per count in a table, of rows from {@code topic} (all rows when null). */
    private Map<String, Integer> idsIn(String table, String topic) {
        Map<String, Integer> ids = new HashMap<>();
        List<String> columns =
                topic == null ? List.of("event_id") : List.of("event_id", "source_topic");
        LakeReader.forEachRow(
                lake,
                table,
                columns,
                row -> {
                    if (topic == null
                            || topic.equals(String.valueOf(row.getField("source_topic")))) {
                        ids.merge(String.valueOf(row.getField("event_id")), 1, Integer::sum);
                    }
                });
        return ids;
    }

    private Map<Coordinates, Integer> deadLetterCoordinates() {
        Map<Coordinates, Integer> coordinates = new HashMap<>();
        LakeReader.forEachRow(
                lake,
                EventType.DEAD_LETTER.tableName(),
                List.of("source_topic", "source_partition", "source_offset"),
                row ->
                        coordinates.merge(
                                new Coordinates(
                                        String.valueOf(row.getField("source_topic")),
                                        (Integer) row.getField("source_partition"),
                                        (Long) row.getField("source_offset")),
                                1,
                                Integer::sum));
        return coordinates;
    }

    private static String eventId(
            AvroWireDecoder<? extends SpecificRecord> decoder, byte[] value, int idPosition) {
        if (value == null) {
            return null;
        }
        try {
            DecodeResult<? extends SpecificRecord> decoded = decoder.decode(value);
            return decoded.ok() ? String.valueOf(decoded.record().get(idPosition)) : null;
        } catch (SchemaRegistryException e) {
            throw new IllegalStateException(
                    "The audit needs the schema registry to decode Kafka records: "
                            + e.getMessage(),
                    e);
        }
    }

    private AuditReport.OutputCount countOutput(
            KafkaConsumer<byte[], byte[]> consumer, String topic) {
        Set<ByteBuffer> distinct = new HashSet<>();
        long[] records = {0};
        MessageDigest sha256 = sha256();
        readAll(
                consumer,
                topic,
                new LinkedHashMap<>(),
                record -> {
                    records[0]++;
                    sha256.update(record.key() == null ? new byte[0] : record.key());
                    sha256.update((byte) 0);
                    sha256.update(record.value() == null ? new byte[0] : record.value());
                    distinct.add(ByteBuffer.wrap(sha256.digest()));
                });
        return new AuditReport.OutputCount(topic, records[0], distinct.size());
    }

    /** Reads a topic from the first to the last offset it holds now, every partition. */
    private static void readAll(
            KafkaConsumer<byte[], byte[]> consumer,
            String topic,
            Map<TopicPartition, AuditReport.PartitionCount> counts,
            Consumer<ConsumerRecord<byte[], byte[]>> action) {
        TopicScan.read(
                consumer,
                topic,
                TopicScan.Range::firstOffset,
                range ->
                        counts.put(
                                range.partition(),
                                new AuditReport.PartitionCount(
                                        range.partition(), range.firstOffset(), range.endOffset())),
                record -> {
                    counts.get(new TopicPartition(record.topic(), record.partition())).records++;
                    action.accept(record);
                });
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        5_000,
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "substrate-audit"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private static long sum(Map<String, Integer> counts) {
        return counts.values().stream().mapToLong(Integer::longValue).sum();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where a Kafka record is: the key of a dead letter. */
    record Coordinates(String topic, int partitionNumber, long offset) {
        TopicPartition partition() {
            return new TopicPartition(topic, partitionNumber);
        }

        @Override
        public String toString() {
            return topic + "/" + partitionNumber + "@" + offset;
        }
    }

    /** Missing and repeated records, counted, with the first few named. */
    private static final class Findings {
        long missing;
        long repeated;
        final List<String> missingExamples = new ArrayList<>();
        final List<String> repeatedExamples = new ArrayList<>();

        void missing(long count, String example) {
            missing += count;
            if (missingExamples.size() < EXAMPLES) {
                missingExamples.add(example);
            }
        }

        void repeated(long count, String example) {
            repeated += count;
            if (repeatedExamples.size() < EXAMPLES) {
                repeatedExamples.add(example);
            }
        }
    }

    /** What to audit. */
    public static final class Builder {
        private String bootstrapServers;
        private SchemaRegistryClient registry;
        private Catalog lake;
        private List<String> outputTopics = List.of();

        private Builder() {}

        /** The Kafka holding the input topics (and the outputs). */
        public Builder kafka(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The registry that decodes the input records. */
        public Builder registry(SchemaRegistryClient registry) {
            this.registry = registry;
            return this;
        }

        /** The catalog of the lake tables. */
        public Builder lake(Catalog lake) {
            this.lake = lake;
            return this;
        }

        /** Output topics whose repeats are counted. */
        public Builder outputTopics(List<String> outputTopics) {
            this.outputTopics = outputTopics;
            return this;
        }

        public LakeAudit build() {
            Objects.requireNonNull(bootstrapServers, "kafka");
            Objects.requireNonNull(registry, "registry");
            Objects.requireNonNull(lake, "lake");
            return new LakeAudit(this);
        }
    }
}
