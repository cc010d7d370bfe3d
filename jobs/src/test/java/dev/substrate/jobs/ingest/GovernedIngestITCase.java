package dev.substrate.jobs.ingest;

import static dev.substrate.jobs.ingest.GovernanceTestKit.audit;
import static dev.substrate.jobs.ingest.GovernanceTestKit.gpu;
import static dev.substrate.jobs.ingest.GovernanceTestKit.gpuUuid;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.ingest.GovernanceTestKit.RawProducer;
import dev.substrate.operators.pii.PiiFields;
import dev.substrate.operators.quality.RuleSet;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sinks.lake.LakeTables;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input matrix of the governed ingest, on a real broker, the embedded registry and a
 * MiniCluster at parallelism 2: for each kind of defect a known number of records is sent, and
 * every table holds exactly what the rules say, the counts adding up to what was sent. Then every
 * byte of the warehouse is scanned for the clear text of the PII fields.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GovernedIngestITCase {

    private static final int GOOD_GPU = 100;
    private static final int MISSING_FIELD = 5;
    private static final int OUT_OF_RANGE = 6;
    private static final int CROSS_FIELD = 4;
    private static final int FUTURE = 3;
    private static final int SAME_DUPLICATES = 5;
    private static final int CONFLICTING_DUPLICATES = 2;
    private static final int LATE = 4;

    /**
     * Behind the watermark but within the allowed lateness: kept, and counted late in the report.
     */
    private static final int BEHIND = 3;

    /** Null values: dead letters of their own reason, never taken for garbage. */
    private static final int TOMBSTONES = 2;

    private static final int GOOD_AUDIT = 20;
    private static final int FUTURE_AUDIT = 5;
    private static final int UNDECODABLE_AUDIT = 2;

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @TempDir static Path dataDir;

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    private static EmbeddedKafkaBroker broker;
    private static EmbeddedSchemaRegistry registry;
    private static Configuration config;
    private static final List<String> clearPii = new ArrayList<>();

    @BeforeAll
    static void useServices() throws Exception {
        broker = SERVICES.broker();
        registry = SERVICES.registry();
        config = GovernanceTestKit.jobConfig(broker, registry, dataDir);
    }

    @Test
    @Order(1)
    void everyDefectEndsWhereTheRulesSayAndTheCountsAddUp() throws Exception {
        uncompressedTables(GovernanceTestKit.catalog(config));
        Instant t0 = Instant.now().minus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.SECONDS);
        String gpuTopic = EventType.GPU_SAMPLE.topic();
        String auditTopic = EventType.AUDIT_EVENT.topic();
        int gpuTotal =
                GOOD_GPU
                        + MISSING_FIELD
                        + OUT_OF_RANGE
                        + CROSS_FIELD
                        + FUTURE
                        + SAME_DUPLICATES
                        + CONFLICTING_DUPLICATES
                        + LATE
                        + BEHIND
                        + TOMBSTONES;
        int auditTotal = GOOD_AUDIT + FUTURE_AUDIT + UNDECODABLE_AUDIT;

        Instant testStart = Instant.now();
        try (SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
                RawProducer producer = new RawProducer(broker)) {
            AvroWireEncoder gpuEncoder =
                    AvroWireEncoder.register(
                            client, EventType.GPU_SAMPLE.subject(), GpuSample.getClassSchema());
            AvroWireEncoder auditEncoder =
                    AvroWireEncoder.register(
                            client, EventType.AUDIT_EVENT.subject(), AuditEvent.getClassSchema());
            // A producer that lost a required field (node, no default) under its own subject.
            Schema withoutNode =
                    GovernanceTestKit.without(SchemaHistory.versions("GpuSample").get(0), "node");
            AvroWireEncoder missingField =
                    AvroWireEncoder.register(client, "itcase.gpu-without-node-value", withoutNode);
            producer.plan(gpuTopic, gpuTotal);
            producer.plan(auditTopic, auditTotal);

            // Phase 1: everything but the late records and the duplicates, in event-time order.
            List<GpuSample> good = new ArrayList<>();
            for (int i = 0; i < GOOD_GPU; i++) {
                GpuSample sample = gpu("g-" + i, t0.plusSeconds(i), i % 4);
                good.add(sample);
                producer.send(gpuTopic, sample.getGpuUuid(), gpuEncoder.encode(sample));
                if (i < MISSING_FIELD) {
                    GpuSample source = gpu("missing-" + i, t0.plusSeconds(i), 1);
                    producer.send(
                            gpuTopic,
                            source.getGpuUuid(),
                            missingField.encode(project(source, withoutNode)));
                }
                if (i < OUT_OF_RANGE) {
                    GpuSample bad = gpu("range-" + i, t0.plusSeconds(i), 2);
                    bad.setUtilizationPct(150.0);
                    sendRefused(producer, gpuTopic, bad.getGpuUuid(), gpuEncoder.encode(bad));
                }
                if (i < CROSS_FIELD) {
                    GpuSample bad = gpu("cross-" + i, t0.plusSeconds(i), 3);
                    bad.setMemoryUsedMib(bad.getMemoryTotalMib() + 1);
                    sendRefused(producer, gpuTopic, bad.getGpuUuid(), gpuEncoder.encode(bad));
                }
                if (i < FUTURE) {
                    GpuSample bad = gpu("future-" + i, Instant.now().plus(Duration.ofDays(1)), 0);
                    sendRefused(producer, gpuTopic, bad.getGpuUuid(), gpuEncoder.encode(bad));
                }
                if (i < TOMBSTONES) {
                    producer.send(gpuTopic, gpuUuid(100 + i), null);
                }
            }
            for (int i = 0; i < GOOD_AUDIT; i++) {
                String principal = "person" + i + "@corp.example";
                String address = "10.20." + i + "." + (100 + i);
                clearPii.add(principal);
                clearPii.add(address);
                AuditEvent event = audit("a-" + i, t0.plusSeconds(i), principal, address);
                producer.send(auditTopic, principal, auditEncoder.encode(event));
            }
            for (int i = 0; i < FUTURE_AUDIT; i++) {
                String principal = "future" + i + "@corp.example";
                String address = "10.30.0." + i;
                clearPii.add(principal);
                clearPii.add(address);
                AuditEvent event =
                        audit(
                                "af-" + i,
                                Instant.now().plus(Duration.ofDays(2)),
                                principal,
                                address);
                sendRefused(producer, auditTopic, principal, auditEncoder.encode(event));
            }
            for (int i = 0; i < UNDECODABLE_AUDIT; i++) {
                String principal = "broken" + i + "@corp.example";
                clearPii.add(principal);
                byte[] whole = auditEncoder.encode(audit("ab-" + i, t0, principal, "10.40.0." + i));
                // Cut at the end: the header and the PII are intact, the record is not.
                producer.send(auditTopic, principal, Arrays.copyOf(whole, whole.length - 3));
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            SubstrateJob.build(env, config, producer.stoppingOffsets());
            JobClient job = env.executeAsync("governed-ingest-itcase");
            Catalog catalog = GovernanceTestKit.catalog(config);
            GovernanceTestKit.awaitRows(
                    catalog, EventType.GPU_SAMPLE.tableName(), GOOD_GPU, Duration.ofSeconds(90));

            // Phase 2, once the watermark is past the good records: an hour late, and duplicates
            // that are only ~90 s behind (within the allowed lateness, so they reach dedup).
            for (int i = 0; i < LATE; i++) {
                GpuSample late = gpu("late-" + i, t0.minus(Duration.ofHours(1)), 0);
                producer.send(gpuTopic, late.getGpuUuid(), gpuEncoder.encode(late));
            }
            for (int i = 0; i < SAME_DUPLICATES; i++) {
                producer.send(gpuTopic, good.get(i).getGpuUuid(), gpuEncoder.encode(good.get(i)));
            }
            for (int i = 0; i < CONFLICTING_DUPLICATES; i++) {
                GpuSample conflicting = gpu("g-" + (10 + i), t0.plusSeconds(10 + i), 0);
                conflicting.setUtilizationPct(99.0);
                producer.send(gpuTopic, conflicting.getGpuUuid(), gpuEncoder.encode(conflicting));
            }
            // Phase 3, once the report has closed the first window: records of that window, new
            // ones, behind the watermark by about two minutes, well within the allowed lateness.
            GovernanceTestKit.awaitRows(
                    catalog, RuleQualityStep.QUALITY_REPORT.name(), 1, Duration.ofSeconds(60));
            for (int i = 0; i < BEHIND; i++) {
                GpuSample behind = gpu("g-behind-" + i, t0.plusSeconds(i), 1);
                producer.send(gpuTopic, behind.getGpuUuid(), gpuEncoder.encode(behind));
            }
            job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        }

        Catalog catalog = GovernanceTestKit.catalog(config);
        List<Record> gpuRows = LakeReader.readAll(catalog, EventType.GPU_SAMPLE.tableName());
        assertThat(gpuRows).hasSize(GOOD_GPU + BEHIND);
        assertThat(gpuRows)
                .extracting(r -> (String) r.getField("event_id"))
                .doesNotHaveDuplicates()
                .allMatch(id -> id.startsWith("g-"));
        Record conflictOriginal =
                gpuRows.stream()
                        .filter(r -> "g-10".equals(r.getField("event_id")))
                        .findFirst()
                        .orElseThrow();
        assertThat((Double) conflictOriginal.getField("utilization_pct"))
                .as("the first record of an id wins")
                .isEqualTo(42.5);

        List<Record> deadLetters = LakeReader.readAll(catalog, EventType.DEAD_LETTER.tableName());
        Map<String, Long> gpuDeadLetters = countBy(deadLetters, gpuTopic);
        assertThat(gpuDeadLetters)
                .isEqualTo(
                        Map.of(
                                "TOMBSTONE", (long) TOMBSTONES,
                                "SCHEMA_RESOLUTION_FAILED", (long) MISSING_FIELD,
                                "QUALITY_RULE_FAILED/utilization_is_percentage",
                                        (long) OUT_OF_RANGE,
                                "QUALITY_RULE_FAILED/memory_used_within_total", (long) CROSS_FIELD,
                                "QUALITY_RULE_FAILED/timestamp_not_in_future", (long) FUTURE));
        assertThat(countBy(deadLetters, auditTopic))
                .isEqualTo(
                        Map.of(
                                "QUALITY_RULE_FAILED/timestamp_not_in_future", (long) FUTURE_AUDIT,
                                "AVRO_DECODE_FAILED", (long) UNDECODABLE_AUDIT));
        for (Record row : deadLetters) {
            if (auditTopic.equals(row.getField("source_topic"))
                    && "AVRO_DECODE_FAILED".equals(row.getField("reason"))) {
                assertThat(row.getField("original_value")).as("withheld").isNull();
                assertThat((String) row.getField("original_value_sha256")).hasSize(64);
                assertThat(row.getField("original_value_length")).isNotNull();
            } else if ("TOMBSTONE".equals(row.getField("reason"))) {
                assertThat(row.getField("original_value")).isNull();
                assertThat(row.getField("original_key")).isNotNull();
            } else {
                assertThat(row.getField("original_value")).isNotNull();
            }
            if ("QUALITY_RULE_FAILED".equals(row.getField("reason"))) {
                assertReplayable(row, testStart, gpuTopic);
            }
        }

        List<Record> late = LakeReader.readAll(catalog, IngestStage.LATE_EVENTS.name());
        assertThat(late).hasSize(LATE);
        for (Record row : late) {
            long lateness = (Long) row.getField("lateness_ms");
            assertThat(lateness).isGreaterThan(Duration.ofMinutes(59).toMillis());
            assertThat((String) row.getField("record_json")).contains("\"event_id\":\"late-");
        }

        List<Record> duplicates = LakeReader.readAll(catalog, IngestStage.DUPLICATE_EVENTS.name());
        assertThat(duplicates).hasSize(SAME_DUPLICATES + CONFLICTING_DUPLICATES);
        assertThat(duplicates.stream().filter(r -> (Boolean) r.getField("same_content")))
                .hasSize(SAME_DUPLICATES);

        long gpuAccounted =
                gpuRows.size()
                        + gpuDeadLetters.values().stream().mapToLong(Long::longValue).sum()
                        + late.size()
                        + duplicates.size();
        assertThat(gpuAccounted).as("every GPU record sent is somewhere, once").isEqualTo(gpuTotal);

        List<Record> audits = LakeReader.readAll(catalog, EventType.AUDIT_EVENT.tableName());
        assertThat(audits).hasSize(GOOD_AUDIT);
        assertThat(audits)
                .allSatisfy(
                        r -> {
                            assertThat((String) r.getField("principal")).startsWith("tok_");
                            assertThat((String) r.getField("source_address")).startsWith("tok_");
                        });
        assertThat(audits.stream().map(r -> r.getField("principal")).distinct())
                .as("one token per principal")
                .hasSize(GOOD_AUDIT);

        // The report: per rule, its rows (every window and revision) add up to every record that
        // reached the gate, the ones behind the watermark included; and those came as updates.
        int gated = GOOD_GPU + OUT_OF_RANGE + CROSS_FIELD + FUTURE + BEHIND;
        Map<String, Long> evaluated = new TreeMap<>();
        Map<String, Long> reportDeadLettered = new TreeMap<>();
        long lateUpdates = 0;
        List<Record> report = LakeReader.readAll(catalog, RuleQualityStep.QUALITY_REPORT.name());
        for (Record row : report) {
            if (!gpuTopic.equals(row.getField("source"))) {
                continue;
            }
            String rule = (String) row.getField("rule");
            evaluated.merge(rule, (Long) row.getField("evaluated"), Long::sum);
            reportDeadLettered.merge(rule, (Long) row.getField("dead_lettered"), Long::sum);
            int revision = (Integer) row.getField("revision");
            assertThat(revision).as("no partial came after the allowed lateness").isNotNegative();
            if (revision > 0 && rule.equals("utilization_is_percentage")) {
                lateUpdates += (Long) row.getField("evaluated");
            }
        }
        assertThat(evaluated).hasSize(RuleSet.load("GpuSample").rules().size());
        assertThat(evaluated.values()).as("records evaluated, per rule").containsOnly((long) gated);
        assertThat(lateUpdates).as("counted in late updates of a closed window").isEqualTo(BEHIND);
        assertThat(reportDeadLettered)
                .containsEntry("utilization_is_percentage", (long) OUT_OF_RANGE)
                .containsEntry("memory_used_within_total", (long) CROSS_FIELD)
                .containsEntry("timestamp_not_in_future", (long) FUTURE);
        assertThat(report.stream().filter(r -> auditTopic.equals(r.getField("source"))))
                .allSatisfy(
                        r ->
                                assertThat((Long) r.getField("evaluated"))
                                        .isLessThanOrEqualTo(GOOD_AUDIT + FUTURE_AUDIT));
    }

    @Test
    @Order(2)
    void noClearTextOfAPiiFieldIsAnywhereInTheWarehouse() throws IOException {
        assertThat(clearPii).as("the matrix ran first").isNotEmpty();
        assertThat(PiiFields.of(AuditEvent.getClassSchema()))
                .containsExactly("principal", "source_address");
        Path warehouse = dataDir.resolve("warehouse");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(warehouse)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anyMatch(f -> f.toString().endsWith(".parquet"));
        boolean sentinelSeen = false;
        for (Path file : files) {
            String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            sentinelSeen |= bytes.contains("SENTINEL-visible-in-files");
            for (String clear : clearPii) {
                assertThat(bytes).as("%s holds clear PII", file).doesNotContain(clear);
            }
        }
        // Positive control: the files are uncompressed, so a clear value would be seen.
        assertThat(sentinelSeen).as("a non-PII value is visible in the files").isTrue();
    }

    /** Creates every table up front, uncompressed, so the PII scan can see clear bytes. */
    private static void uncompressedTables(Catalog catalog) {
        List<LakeTableSpec> specs = new ArrayList<>();
        for (EventType type : EventType.values()) {
            specs.add(LakeTableSpec.of(type));
        }
        specs.add(IngestStage.LATE_EVENTS);
        specs.add(IngestStage.DUPLICATE_EVENTS);
        specs.add(RuleQualityStep.QUALITY_REPORT);
        for (LakeTableSpec spec : specs) {
            LakeTables.ensureTable(catalog, spec)
                    .updateProperties()
                    .set(TableProperties.PARQUET_COMPRESSION, "uncompressed")
                    .set(TableProperties.AVRO_COMPRESSION, "uncompressed")
                    .commit();
        }
    }

    /**
     * Sends a record a quality rule will refuse, with an origin header naming its offset, and keeps
     * its frame to compare with its dead letter.
     */
    private static void sendRefused(RawProducer producer, String topic, String key, byte[] frame)
            throws Exception {
        byte[] origin = ("sent-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        long offset = producer.send(topic, key, frame, List.of(new RecordHeader("origin", origin)));
        REFUSED.put(topic + "@" + offset, new byte[][] {frame, origin});
    }

    /** topic@offset -> {frame, origin header value} of each record sent to be refused. */
    private static final Map<String, byte[][]> REFUSED = new HashMap<>();

    /**
     * A quality rule's dead letter says where its record was in Kafka and keeps what a replay
     * needs: the frame as sent (tokenized for a topic with PII) and the headers.
     */
    private static void assertReplayable(Record row, Instant testStart, String gpuTopic) {
        String topic = (String) row.getField("source_topic");
        long offset = (Long) row.getField("source_offset");
        assertThat((Integer) row.getField("source_partition")).isZero();
        byte[][] sent = REFUSED.get(topic + "@" + offset);
        assertThat(sent).as("a record sent to be refused is at %s@%d", topic, offset).isNotNull();
        assertThat(instant(row.getField("source_timestamp")))
                .as("the Kafka record's timestamp, not the event's")
                .isAfterOrEqualTo(testStart.minusSeconds(5));
        byte[] value = bytes((ByteBuffer) row.getField("original_value"));
        assertThat(value[0]).as("the wire-format magic byte").isZero();
        assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).isEqualTo(row.getField("schema_id"));
        List<?> headers = (List<?>) row.getField("original_headers");
        assertThat(headers).hasSize(1);
        Record header = (Record) headers.get(0);
        assertThat(header.getField("key")).isEqualTo("origin");
        byte[] headerValue = bytes((ByteBuffer) header.getField("value"));
        if (topic.equals(gpuTopic)) {
            assertThat(value).as("no PII: the frame as sent").isEqualTo(sent[0]);
            assertThat(headerValue).isEqualTo(sent[1]);
        } else {
            assertThat(new String(headerValue, StandardCharsets.UTF_8))
                    .as("header values on a topic with PII are tokenized in the lake")
                    .startsWith("tok_");
        }
    }

    private static Instant instant(Object timestamp) {
        if (timestamp instanceof OffsetDateTime offsetTime) {
            return offsetTime.toInstant();
        }
        return ((LocalDateTime) timestamp).toInstant(ZoneOffset.UTC);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    private static Map<String, Long> countBy(List<Record> deadLetters, String topic) {
        Map<String, Long> counts = new HashMap<>();
        for (Record row : deadLetters) {
            if (topic.equals(row.getField("source_topic"))) {
                String rule = (String) row.getField("rule");
                String key = row.getField("reason") + (rule == null ? "" : "/" + rule);
                counts.merge(key, 1L, Long::sum);
            }
        }
        return counts;
    }

    private static GenericRecord project(GpuSample sample, Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            record.put(field.name(), sample.get(field.name()));
        }
        return record;
    }
}
