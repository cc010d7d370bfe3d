package dev.substrate.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.samples.H100TraceReplay;
import dev.substrate.samples.ProducerReport;
import dev.substrate.samples.SampleEventProducer;
import dev.substrate.samples.SyntheticFleet;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation's data path end to end: a real KRaft broker, the embedded registry, the job on a
 * MiniCluster at parallelism 2 with checkpointing, and real Iceberg tables read back through
 * Iceberg. Every good record is in its table exactly once; every bad one is in dead letters with
 * the reason it was sent for.
 */
class IngestPipelineITCase {

    private static final int GOOD_EVENTS = 10_000;

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @TempDir static Path dataDir;

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    private static EmbeddedKafkaBroker broker;
    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void useServices() throws Exception {
        broker = SERVICES.broker();
        registry = SERVICES.registry();
    }

    @Test
    void everyRecordEndsInItsTableOrInDeadLettersWithItsReason() throws Exception {
        ProducerReport sent;
        Map<EventType, Set<String>> sentIds;
        try (SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
                SampleEventProducer producer =
                        new SampleEventProducer(broker.bootstrapServers(), client, 7L, 0.02)) {
            producer.trackEventIds();
            H100TraceReplay realTrace =
                    H100TraceReplay.load(H100TraceReplay.locateTrace(), "us-east-1", "lab-h100");
            // The real trace goes first and ends before the synthetic fleet begins: with
            // watermarks, a trace recorded later than the fleet would make the fleet late.
            producer.replayFirst(
                    realTrace.replay(
                            H100TraceReplay.Plan.asRecorded()
                                    .startingAt(
                                            SyntheticFleet.Config.DEFAULT_START.minus(
                                                    Duration.ofMinutes(10)))));
            sent = producer.send(GOOD_EVENTS);
            sentIds = producer.sentEventIds();
        }
        assertThat(sent.good()).isEqualTo(GOOD_EVENTS);
        assertThat(sent.gpuSamplesAsV1()).as("both schema versions are on the topic").isPositive();
        assertThat(sent.good(EventType.GPU_SAMPLE) - sent.gpuSamplesAsV1()).isPositive();
        for (DeadLetterReason reason : decodeReasons()) {
            assertThat(sent.bad(reason)).as("bad records sent for %s", reason).isPositive();
        }

        Configuration config = new Configuration();
        config.set(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS, broker.bootstrapServers());
        config.set(SubstrateOptions.REGISTRY_URL, registry.url());
        config.set(SubstrateOptions.CATALOG_WAREHOUSE, dataDir.resolve("warehouse").toString());
        config.set(SubstrateOptions.CHECKPOINT_INTERVAL, java.time.Duration.ofMillis(500));
        config.set(SubstrateOptions.PARALLELISM, 2);
        config.set(SubstrateOptions.PII_MODE, PiiMode.LOCAL);
        config.set(SubstrateOptions.PII_KEY_FILE, dataDir.resolve("pii.key").toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        SubstrateJob.build(env, config, OffsetsInitializer.latest());
        env.execute("ingest-itcase");

        Catalog catalog = StageContext.catalog(config).catalogLoader().loadCatalog();
        for (EventType type : EventType.inputs()) {
            List<Record> rows = LakeReader.readAll(catalog, type.tableName());
            Set<String> ids =
                    rows.stream()
                            .map(r -> (String) r.getField("event_id"))
                            .collect(Collectors.toSet());
            assertThat(rows).as("rows of %s", type.tableName()).hasSize((int) sent.good(type));
            assertThat(ids).as("event ids of %s", type.tableName()).isEqualTo(sentIds.get(type));
        }

        List<Record> deadLetters = LakeReader.readAll(catalog, EventType.DEAD_LETTER.tableName());
        Map<String, Long> perReason = new HashMap<>();
        Set<String> positions = new HashSet<>();
        for (Record row : deadLetters) {
            perReason.merge(String.valueOf(row.getField("reason")), 1L, Long::sum);
            positions.add(
                    row.getField("source_topic")
                            + "/"
                            + row.getField("source_partition")
                            + "@"
                            + row.getField("source_offset"));
            assertThat((String) row.getField("message")).isNotBlank();
            // Undecodable values of topics with PII fields keep only their digest in the lake.
            assertThat(
                            row.getField("original_value") != null
                                    || row.getField("original_value_sha256") != null)
                    .isTrue();
        }
        assertThat(positions).as("each bad record dead-lettered once").hasSize(deadLetters.size());
        Map<String, Long> expected = new HashMap<>();
        sent.badByReason().forEach((reason, count) -> expected.put(reason.name(), count));
        assertThat(perReason).isEqualTo(expected);
        assertThat(deadLetters).hasSize((int) sent.bad());
    }

    private static List<DeadLetterReason> decodeReasons() {
        return List.of(
                DeadLetterReason.NOT_WIRE_FORMAT,
                DeadLetterReason.UNKNOWN_SCHEMA_ID,
                DeadLetterReason.AVRO_DECODE_FAILED,
                DeadLetterReason.SCHEMA_RESOLUTION_FAILED);
    }
}
