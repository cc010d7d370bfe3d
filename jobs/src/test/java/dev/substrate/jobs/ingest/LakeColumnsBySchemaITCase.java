package dev.substrate.jobs.ingest;

import static dev.substrate.jobs.ingest.GovernanceTestKit.as;
import static dev.substrate.jobs.ingest.GovernanceTestKit.gpu;
import static dev.substrate.jobs.ingest.GovernanceTestKit.without;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw table's columns come from every registered version of its subject, not from the values
 * records carry: when an older producer registers its older, compatible schema (one without {@code
 * xid}) and it becomes the subject's latest version, {@code xid} stays a column that every writer
 * fills, so an {@code xid} of 0 reads back 0 whichever subtask wrote it, never null.
 */
class LakeColumnsBySchemaITCase {

    private static final int FLEET_BEFORE = 30;
    private static final int OLD_BEFORE = 10;
    private static final int MIXED = 30;
    private static final int XID = 13;

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @TempDir static Path dataDir;

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    @Test
    void zeroReadsBackZeroWhenAnOlderSchemaWithoutTheFieldBecomesLatest() throws Exception {
        Configuration config =
                GovernanceTestKit.jobConfig(SERVICES.broker(), SERVICES.registry(), dataDir);
        String topic = EventType.GPU_SAMPLE.topic();
        String subject = EventType.GPU_SAMPLE.subject();
        String table = EventType.GPU_SAMPLE.tableName();
        Schema fleet = SchemaHistory.versions("GpuSample").get(0);
        Schema noXid = without(fleet, "xid");
        Schema noXidNoPstate = without(fleet, "xid", "pstate");
        Instant t0 = Instant.now().minus(Duration.ofMinutes(20)).truncatedTo(ChronoUnit.SECONDS);
        // What each event id was produced with: its xid (null: the writer has no such field) and
        // its pstate.
        Map<String, Integer> producedXid = new HashMap<>();
        Map<String, String> producedPstate = new HashMap<>();

        try (SchemaRegistryClient client =
                        new SchemaRegistryClient(
                                SchemaRegistryConfig.of(SERVICES.registry().url()));
                RawProducer producer = new RawProducer(SERVICES.broker())) {
            producer.plan(topic, FLEET_BEFORE + OLD_BEFORE + MIXED);
            AvroWireEncoder fleetEncoder = AvroWireEncoder.register(client, subject, fleet);
            // Leading zeros: a writer that added xid only on seeing a non-zero value would have
            // written these without the column.
            for (int i = 0; i < FLEET_BEFORE; i++) {
                int xid = i >= 10 && i % 3 == 0 ? XID : 0;
                send(producer, fleetEncoder, fleet, "fleet-" + i, t0.plusSeconds(i), xid);
                producedXid.put("fleet-" + i, xid);
                producedPstate.put("fleet-" + i, "P0");
            }
            // An older producer auto-registers its older, compatible schema: now the latest.
            AvroWireEncoder oldEncoder = AvroWireEncoder.register(client, subject, noXid);
            assertThat(client.getLatest(subject).schema().getField("xid"))
                    .as("the version without xid is the latest")
                    .isNull();
            for (int i = 0; i < OLD_BEFORE; i++) {
                int n = FLEET_BEFORE + i;
                send(producer, oldEncoder, noXid, "old-" + i, t0.plusSeconds(n), 0);
                producedXid.put("old-" + i, null);
                producedPstate.put("old-" + i, "P0");
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            SubstrateJob.build(env, config, producer.stoppingOffsets());
            JobClient job = env.executeAsync("lake-columns-by-schema-itcase");
            Catalog catalog = GovernanceTestKit.catalog(config);
            GovernanceTestKit.awaitRows(
                    catalog, table, FLEET_BEFORE + OLD_BEFORE, Duration.ofSeconds(90));

            // Mid-run, a still older producer registers a version without xid and pstate.
            AvroWireEncoder olderEncoder = AvroWireEncoder.register(client, subject, noXidNoPstate);
            for (int i = 0; i < MIXED; i++) {
                int n = FLEET_BEFORE + OLD_BEFORE + i;
                String id = "mixed-" + i;
                if (i % 2 == 0) {
                    int xid = i % 4 == 0 ? XID : 0;
                    send(producer, fleetEncoder, fleet, id, t0.plusSeconds(n), xid);
                    producedXid.put(id, xid);
                    producedPstate.put(id, "P0");
                } else {
                    send(producer, olderEncoder, noXidNoPstate, id, t0.plusSeconds(n), 0);
                    producedXid.put(id, null);
                    producedPstate.put(id, null);
                }
            }
            job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        }

        Catalog catalog = GovernanceTestKit.catalog(config);
        List<Record> rows = LakeReader.readAll(catalog, table);
        assertThat(rows).as("no record lost").hasSize(FLEET_BEFORE + OLD_BEFORE + MIXED);
        List<String> wrong = new ArrayList<>();
        for (Record row : rows) {
            String id = (String) row.getField("event_id");
            // A writer version without xid: the record carries the reader's default, 0.
            Integer xid = Objects.requireNonNullElse(producedXid.get(id), 0);
            if (!xid.equals(row.getField("xid"))) {
                wrong.add(id + ": xid " + row.getField("xid") + ", produced " + xid);
            }
            if (!Objects.equals(producedPstate.get(id), row.getField("pstate"))) {
                wrong.add(id + ": pstate " + row.getField("pstate"));
            }
        }
        assertThat(wrong).as("every row reads back the value produced, 0 included").isEmpty();

        Table evolved = catalog.loadTable(LakeTables.identifier(table));
        org.apache.iceberg.Schema first =
                evolved.schemas().values().stream()
                        .min(Comparator.comparingInt(org.apache.iceberg.Schema::schemaId))
                        .orElseThrow();
        assertThat(first.findField("xid"))
                .as("xid is a column from the start: a registered version has it")
                .isNotNull();
        assertThat(evolved.schema().findField("xid")).isNotNull();
        assertThat(evolved.schema().findField("pstate")).isNotNull();
        assertThat(first.findField("power_limit_w"))
                .as("no registered version has power_limit_w yet")
                .isNull();
    }

    private static void send(
            RawProducer producer,
            AvroWireEncoder encoder,
            Schema version,
            String id,
            Instant time,
            int xid)
            throws Exception {
        GpuSample sample = gpu(id, time, id.hashCode() & 3);
        sample.setXid(xid);
        producer.send(
                EventType.GPU_SAMPLE.topic(),
                sample.getGpuUuid(),
                encoder.encode(as(sample, version)));
    }
}
