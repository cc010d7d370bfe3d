package dev.substrate.jobs.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.ingest.GovernanceTestKit;
import dev.substrate.jobs.policies.PolicyStage;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.samples.ProducerReport;
import dev.substrate.samples.SampleEventProducer;
import dev.substrate.samples.SyntheticFleet;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sinks.lake.LakeTables;
import dev.substrate.sinks.vector.DocumentTypeInfo;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.StoreStatus;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.store.LuceneVectorStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vector stage in the whole job, from Kafka to the Lucene index: real broker and registry, the
 * job on a MiniCluster at parallelism 2 with 500 ms checkpoints, the real MiniLM model. Events are
 * produced in two rounds; once the store has committed documents of the first, the job is made to
 * fail at the next document, restarts from its last checkpoint and goes on with the second round,
 * until it is stopped with a drained savepoint. Then the store holds exactly one document per id,
 * and its ids are exactly those the lake's tables call for (every enterprise event with text, every
 * node-health incident, every GPU anomaly, every dead letter), it is complete up to the end of its
 * input, and no indexed text holds a personal value the producer sent.
 */
class VectorDocumentsITCase {

    private static final int FIRST_EVENTS = 1_500;
    private static final int SECOND_EVENTS = 1_000;

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @TempDir static Path dataDir;

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    @Test
    void aJobThatFailsAfterACheckpointEndsWithOneDocumentPerLakeRowAndNoPii() throws Exception {
        EmbeddedKafkaBroker broker = SERVICES.broker();
        EmbeddedSchemaRegistry registry = SERVICES.registry();
        SchemaRegistryClient client =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
        Map<EventType, Long> sent = new EnumMap<>(EventType.class);
        send(
                new SampleEventProducer(broker.bootstrapServers(), client, 11L, 0.02),
                FIRST_EVENTS,
                sent);

        Path index = dataDir.resolve("vectors");
        Configuration config = GovernanceTestKit.jobConfig(broker, registry, dataDir);
        config.set(VectorOptions.BATCH_SIZE, 16);
        assertThat(VectorOptions.indexPath(config)).isEqualTo(index.toAbsolutePath());

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        SubstrateJob.Pipeline pipeline = SubstrateJob.build(env, config, null);
        FailWhenArmed.reset();
        pipeline.vectors()
                .documents()
                .map(new FailWhenArmed())
                .returns(DocumentTypeInfo.DOCUMENTS)
                .uid("test-failure")
                .name("fail once when armed")
                .sinkTo(new DiscardingSink<>());
        JobClient job = env.executeAsync("vector-documents-itcase");
        Catalog catalog = GovernanceTestKit.catalog(config);
        long committedBefore;
        try {
            // Once a checkpoint's documents are in the store, the next document fails the job.
            committedBefore = await("documents committed", () -> committed(index), n -> n > 0);
            FailWhenArmed.ARMED.set(true);
            send(
                    new SampleEventProducer(
                            broker.bootstrapServers(),
                            client,
                            12L,
                            0.02,
                            SyntheticFleet.Config.DEFAULT_START.plus(Duration.ofHours(1))),
                    SECOND_EVENTS,
                    sent);
            await("the injected failure", () -> FailWhenArmed.FAILED.get() ? 1L : 0L, n -> n == 1);
            for (EventType type : EventType.inputs()) {
                long expected = sent.get(type);
                await(
                        type.tableName() + " rows",
                        () -> LakeReader.countRows(catalog, type.tableName()),
                        n -> n >= expected);
            }
        } finally {
            // Drained: event time ends, every operator flushes, the last commits happen.
            job.stopWithSavepoint(
                            true,
                            dataDir.resolve("savepoints").toUri().toString(),
                            SavepointFormatType.CANONICAL)
                    .get(2, TimeUnit.MINUTES);
            client.close();
        }

        Set<String> expected = expectedIds(catalog);
        List<VectorDocument> stored = new ArrayList<>();
        StoreStatus status;
        try (LuceneVectorStore store = LuceneVectorStore.openForReading(index)) {
            store.forEach(DocumentFilter.none(), hit -> stored.add(hit.document()));
            status = store.status();
        }
        Map<String, Integer> perId = new HashMap<>();
        stored.forEach(d -> perId.merge(d.id(), 1, Integer::sum));

        assertThat(committedBefore)
                .as("documents committed before the failure")
                .isLessThan(stored.size());
        assertThat(perId.values()).as("documents per id").containsOnly(1);
        assertThat(status.documents()).isEqualTo(expected.size());
        assertThat(perId.keySet()).isEqualTo(expected);
        assertThat(status.completeUpTo()).isEqualTo(StoreStatus.END_OF_INPUT);
        assertThat(status.kinds())
                .containsKeys("node-health", "crm-event", "erp-event", "logs-event", "dead-letter");
        assertThat(status.models()).hasSize(1);

        Set<String> personal = personalValuesSent(broker, registry);
        assertThat(personal).as("personal values the producer sent").hasSizeGreaterThan(20);
        for (VectorDocument document : stored) {
            for (String value : personal) {
                assertThat(document.text()).as("text of %s", document.id()).doesNotContain(value);
            }
            assertThat(EMAIL.matcher(document.text()).find())
                    .as("an e-mail address in %s: %s", document.id(), document.text())
                    .isFalse();
        }
    }

    private static void send(SampleEventProducer producer, int events, Map<EventType, Long> sent) {
        try (producer) {
            ProducerReport report = producer.send(events);
            for (EventType type : EventType.inputs()) {
                sent.merge(type, report.good(type), Long::sum);
            }
            assertThat(report.good(EventType.ENTERPRISE_EVENT)).isPositive();
            assertThat(report.bad()).isPositive();
        }
    }

    private static long committed(Path index) {
        try (LuceneVectorStore store = LuceneVectorStore.openForReading(index)) {
            return store.status().documents();
        } catch (RuntimeException e) {
            return 0; // no index yet
        }
    }

    private static long await(String what, LongSupplier value, LongPredicate done)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        long current = value.getAsLong();
        while (!done.test(current)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Waited 3 minutes for " + what + "; still " + current);
            }
            Thread.sleep(100);
            current = value.getAsLong();
        }
        return current;
    }

    /** The ids of the documents the lake's rows call for. */
    private static Set<String> expectedIds(Catalog catalog) {
        Set<String> ids = new HashSet<>();
        for (Record row : LakeReader.readAll(catalog, EventType.ENTERPRISE_EVENT.tableName())) {
            String text = (String) row.getField("text");
            if (text != null && !text.isBlank()) {
                ids.add(EnterpriseEventDocuments.ID_PREFIX + row.getField("event_id"));
            }
        }
        for (Record row : LakeReader.readAll(catalog, FleetHealthStage.NODE_HEALTH_TABLE)) {
            String status = String.valueOf(row.getField("status"));
            Object previous = row.getField("previous_status");
            boolean incident =
                    !status.equals("UP") || (previous != null && !previous.toString().equals("UP"));
            if (incident) {
                ids.add(
                        NodeHealthDocuments.KIND
                                + ":"
                                + row.getField("cluster")
                                + "/"
                                + row.getField("node")
                                + "@"
                                + millis(row.getField("changed_at"))
                                + ":"
                                + status);
            }
        }
        if (catalog.tableExists(
                TableIdentifier.of(LakeTables.NAMESPACE, PolicyStage.VIOLATIONS_TABLE))) {
            for (Record row : LakeReader.readAll(catalog, PolicyStage.VIOLATIONS_TABLE)) {
                ids.add(PolicyViolationDocuments.KIND + ":" + row.getField("violation_id"));
            }
        }
        for (Record row : LakeReader.readAll(catalog, SchedulingStage.DECISIONS_TABLE)) {
            String action = String.valueOf(row.getField("action"));
            if (action.equals("REJECT") || action.equals("PREEMPT")) {
                ids.add(SchedulingDecisionDocuments.KIND + ":" + row.getField("decision_id"));
            }
        }
        for (Record row : LakeReader.readAll(catalog, FleetHealthStage.GPU_ANOMALIES_TABLE)) {
            ids.add(
                    GpuAnomalyDocuments.KIND
                            + ":"
                            + row.getField("gpu_uuid")
                            + ":"
                            + row.getField("metric")
                            + "@"
                            + millis(row.getField("timestamp")));
        }
        for (Record row : LakeReader.readAll(catalog, EventType.DEAD_LETTER.tableName())) {
            assertThat(row.getField("rule"))
                    .as("no document failed to embed")
                    .isNotEqualTo(EmbeddingDeadLetters.RULE);
            ids.add(
                    DeadLetterDocuments.KIND
                            + ":"
                            + row.getField("source_topic")
                            + "/"
                            + row.getField("source_partition")
                            + "@"
                            + row.getField("source_offset"));
        }
        return ids;
    }

    private static long millis(Object time) {
        if (time instanceof OffsetDateTime offset) {
            return offset.toInstant().toEpochMilli();
        }
        return ((LocalDateTime) time).toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    private static final Pattern EMAIL =
            Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
    private static final Pattern PHONE = Pattern.compile("\\+\\d[\\d-]{9,}\\d");
    private static final Pattern IP = Pattern.compile("\\b\\d{1,3}(?:\\.\\d{1,3}){3}\\b");

    /**
     * The e-mail addresses, phone numbers and IP addresses in the enterprise events' texts, and the
     * audit events' principals and source addresses (their PII fields), as the producer sent them.
     */
    private static Set<String> personalValuesSent(
            EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry) throws Exception {
        Set<String> values = new HashSet<>();
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                properties,
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer())) {
            AvroWireDecoder<EnterpriseEvent> enterprise =
                    new AvroWireDecoder<>(client, EnterpriseEvent.class);
            AvroWireDecoder<AuditEvent> audit = new AvroWireDecoder<>(client, AuditEvent.class);
            for (ConsumerRecord<byte[], byte[]> record :
                    readAll(consumer, EventType.ENTERPRISE_EVENT.topic())) {
                DecodeResult<EnterpriseEvent> decoded =
                        record.value() == null ? null : enterprise.decode(record.value());
                if (decoded != null && decoded.ok()) {
                    String text = decoded.record().getText();
                    for (Pattern pattern : List.of(EMAIL, PHONE, IP)) {
                        Matcher matcher = pattern.matcher(text);
                        while (matcher.find()) {
                            values.add(matcher.group());
                        }
                    }
                }
            }
            for (ConsumerRecord<byte[], byte[]> record :
                    readAll(consumer, EventType.AUDIT_EVENT.topic())) {
                DecodeResult<AuditEvent> decoded =
                        record.value() == null ? null : audit.decode(record.value());
                if (decoded != null && decoded.ok()) {
                    values.add(decoded.record().getPrincipal());
                    values.add(decoded.record().getSourceAddress());
                }
            }
        }
        return values;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(
            KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions =
                consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
                && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }

    /** Passes documents through, and fails the job at the first document once armed. */
    static final class FailWhenArmed extends RichMapFunction<VectorDocument, VectorDocument> {

        static final AtomicBoolean ARMED = new AtomicBoolean();
        static final AtomicBoolean FAILED = new AtomicBoolean();

        static void reset() {
            ARMED.set(false);
            FAILED.set(false);
        }

        @Override
        public VectorDocument map(VectorDocument document) {
            if (ARMED.get() && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("Injected failure at document " + document.id());
            }
            return document;
        }
    }
}
