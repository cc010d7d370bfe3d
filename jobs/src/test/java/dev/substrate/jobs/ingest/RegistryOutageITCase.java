package dev.substrate.jobs.ingest;

import static dev.substrate.jobs.ingest.GovernanceTestKit.gpu;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.GpuSample;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.GovernanceTestKit.RawProducer;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A schema registry outage longer than {@code registry.outage-timeout}, on a real broker, a real
 * (embedded) registry stopped and started again on the same port and state, and a MiniCluster at
 * parallelism 2: records written with a schema id the job has not seen yet cannot be decoded, the
 * source fails the task loudly (the registry's URL and the schema id in Flink's exception history)
 * instead of stalling, the job restarts from its last checkpoint, and once the registry is back
 * every record is in the lake exactly once, none dead-lettered.
 */
class RegistryOutageITCase {

    private static final int BEFORE = 30;
    private static final int DURING = 30;
    private static final Duration BOUND = Duration.ofSeconds(2);
    private static final Duration OUTAGE = Duration.ofSeconds(7);

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    @TempDir static Path dataDir;

    @Test
    void anOutageLongerThanTheBoundFailsLoudlyAndTheRestartLosesNothing() throws Exception {
        EmbeddedKafkaBroker broker = SERVICES.broker();
        Path registryState = dataDir.resolve("registry");
        EmbeddedSchemaRegistry registry =
                EmbeddedSchemaRegistry.start(registryState, "127.0.0.1", 0);
        int port = registry.port();
        String url = registry.url();
        Configuration config = GovernanceTestKit.jobConfig(broker, registry, dataDir);
        config.set(SubstrateOptions.REGISTRY_OUTAGE_TIMEOUT, BOUND);
        Catalog catalog = GovernanceTestKit.catalog(config);
        String topic = EventType.GPU_SAMPLE.topic();
        String table = EventType.GPU_SAMPLE.tableName();
        Instant t0 = Instant.now().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
        int unseenId;
        JobClient job;
        try (RawProducer producer = new RawProducer(broker)) {
            Schema v2 = SchemaHistory.versions("GpuSample").get(1);
            AvroWireEncoder seen;
            try (SchemaRegistryClient client =
                    new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
                seen = AvroWireEncoder.register(client, EventType.GPU_SAMPLE.subject(), v2);
            }
            producer.plan(topic, BEFORE + DURING);
            for (int i = 0; i < BEFORE; i++) {
                GpuSample sample = gpu("before-" + i, t0.plusSeconds(i), i % 4);
                producer.send(topic, sample.getGpuUuid(), seen.encode(project(sample, v2)));
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            SubstrateJob.build(env, config, producer.stoppingOffsets());
            job = env.executeAsync("registry-outage-itcase");
            GovernanceTestKit.awaitRows(catalog, table, BEFORE, Duration.ofSeconds(90));

            // Producers move to the next version just before the registry goes down: its id is
            // in no cache of the job.
            AvroWireEncoder unseen;
            try (SchemaRegistryClient client =
                    new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
                unseen =
                        AvroWireEncoder.register(
                                client, EventType.GPU_SAMPLE.subject(), GpuSample.getClassSchema());
            }
            unseenId = unseen.schemaId();
            assertThat(unseenId).isNotEqualTo(seen.schemaId());
            registry.close();
            long down = System.nanoTime();
            for (int i = 0; i < DURING; i++) {
                GpuSample sample = gpu("during-" + i, t0.plusSeconds(BEFORE + i), i % 4);
                producer.send(topic, sample.getGpuUuid(), unseen.encode(sample));
            }

            String failure =
                    awaitException(
                            job.getJobID(), "with schema id " + unseenId, OUTAGE.plusSeconds(20));
            assertThat(failure)
                    .contains("Schema registry " + url + " unavailable")
                    .contains("Is the registry up")
                    .contains("restarts the job from its last checkpoint");
            Thread.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - down) / 1_000_000));
            registry = EmbeddedSchemaRegistry.start(registryState, "127.0.0.1", port);

            job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        } finally {
            registry.close();
        }

        List<Record> rows = LakeReader.readAll(catalog, table);
        assertThat(rows)
                .extracting(r -> (String) r.getField("event_id"))
                .as("every record once: nothing lost, nothing duplicated by the restart")
                .hasSize(BEFORE + DURING)
                .doesNotHaveDuplicates()
                .contains(
                        "before-0", "before-" + (BEFORE - 1), "during-0", "during-" + (DURING - 1));
        assertThat(LakeReader.readAll(catalog, EventType.DEAD_LETTER.tableName()))
                .as("an outage is not bad input")
                .isEmpty();
    }

    /** Polls the job's exception history until an entry contains {@code text}; returns it all. */
    private static String awaitException(JobID job, String text, Duration timeout)
            throws Exception {
        Configuration client = FLINK.getClientConfiguration();
        URI uri =
                URI.create(
                        "http://"
                                + client.get(RestOptions.ADDRESS)
                                + ":"
                                + client.get(RestOptions.PORT)
                                + "/jobs/"
                                + job
                                + "/exceptions");
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        String body = "";
        while (System.nanoTime() < deadline) {
            body =
                    http.send(
                                    HttpRequest.newBuilder(uri).GET().build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body();
            if (body.contains(text)) {
                return body;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(
                "the job did not fail with '" + text + "' within " + timeout + ": " + body);
    }

    private static GenericRecord project(GpuSample sample, Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            record.put(field.name(), sample.get(field.name()));
        }
        return record;
    }
}
