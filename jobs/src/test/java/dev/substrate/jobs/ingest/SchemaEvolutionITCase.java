package dev.substrate.jobs.ingest;

import static dev.substrate.jobs.ingest.GovernanceTestKit.as;
import static dev.substrate.jobs.ingest.GovernanceTestKit.gpu;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.GpuSample;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.ingest.GovernanceTestKit.RawProducer;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sinks.lake.LakeTables;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema evolution reaches the lake while the job runs: the fleet starts on GpuSample v1, so the
 * table starts with v1's columns; v2 producers then register their schema and interleave with v1
 * producers on the same topic, and the one table gains v2's columns, loses no record, and reads old
 * rows with nulls and new rows with their values.
 */
class SchemaEvolutionITCase {

    private static final int V1_BEFORE = 40;
    private static final int INTERLEAVED = 60;

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
    void v1AndV2ProducersInterleavedEndInOneTableWithTheNewColumns() throws Exception {
        Configuration config = GovernanceTestKit.jobConfig(broker, registry, dataDir);
        String topic = EventType.GPU_SAMPLE.topic();
        String table = EventType.GPU_SAMPLE.tableName();
        Schema v1 = SchemaHistory.versions("GpuSample").get(0);
        Schema v2 = SchemaHistory.versions("GpuSample").get(1);
        Instant t0 = Instant.now().minus(Duration.ofMinutes(20)).truncatedTo(ChronoUnit.SECONDS);

        try (SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
                RawProducer producer = new RawProducer(broker)) {
            AvroWireEncoder v1Encoder =
                    AvroWireEncoder.register(client, EventType.GPU_SAMPLE.subject(), v1);
            producer.plan(topic, V1_BEFORE + INTERLEAVED);
            for (int i = 0; i < V1_BEFORE; i++) {
                GpuSample sample = gpu("v1-" + i, t0.plusSeconds(i), i % 4);
                producer.send(topic, sample.getGpuUuid(), v1Encoder.encode(as(sample, v1)));
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            SubstrateJob.build(env, config, producer.stoppingOffsets());
            Catalog catalog = GovernanceTestKit.catalog(config);
            Table created = catalog.loadTable(LakeTables.identifier(table));
            assertThat(created.schema().findField("power_limit_w"))
                    .as("the table starts with the registered v1 columns")
                    .isNull();
            assertThat(created.schema().findField("quality_tags")).isNotNull();
            JobClient job = env.executeAsync("schema-evolution-itcase");
            GovernanceTestKit.awaitRows(catalog, table, V1_BEFORE, Duration.ofSeconds(90));

            // Mid-run upgrade: v2 is registered, and v1 and v2 producers share the topic.
            AvroWireEncoder v2Encoder =
                    AvroWireEncoder.register(client, EventType.GPU_SAMPLE.subject(), v2);
            for (int i = 0; i < INTERLEAVED; i++) {
                int n = V1_BEFORE + i;
                GpuSample sample = gpu("mixed-" + i, t0.plusSeconds(n), n % 4);
                if (i % 2 == 0) {
                    sample.setPowerLimitW(700.0);
                    sample.setMigProfile("1g.10gb");
                    producer.send(topic, sample.getGpuUuid(), v2Encoder.encode(as(sample, v2)));
                } else {
                    producer.send(topic, sample.getGpuUuid(), v1Encoder.encode(as(sample, v1)));
                }
            }
            job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        }

        Catalog catalog = GovernanceTestKit.catalog(config);
        Table evolved = catalog.loadTable(LakeTables.identifier(table));
        assertThat(evolved.schema().findField("power_limit_w")).isNotNull();
        assertThat(evolved.schema().findField("mig_profile")).isNotNull();
        assertThat(evolved.schemas())
                .as("the schema changed in the running job")
                .hasSizeGreaterThan(1);

        List<Record> rows = LakeReader.readAll(catalog, table);
        assertThat(rows).as("no record lost").hasSize(V1_BEFORE + INTERLEAVED);
        Map<String, Record> byId =
                rows.stream()
                        .collect(Collectors.toMap(r -> (String) r.getField("event_id"), r -> r));
        for (int i = 0; i < V1_BEFORE; i++) {
            Record old = byId.get("v1-" + i);
            assertThat(old.getField("power_limit_w")).as("old rows read null").isNull();
            assertThat(old.getField("node")).isEqualTo("node-" + (i % 4));
        }
        for (int i = 0; i < INTERLEAVED; i++) {
            Record row = byId.get("mixed-" + i);
            if (i % 2 == 0) {
                assertThat(row.getField("power_limit_w"))
                        .as("new rows carry values")
                        .isEqualTo(700.0);
                assertThat(row.getField("mig_profile")).isEqualTo("1g.10gb");
            } else {
                assertThat(row.getField("power_limit_w")).isNull();
                assertThat(row.getField("mig_profile")).isNull();
            }
        }
    }
}
