package dev.substrate.local.deadletters;

import static dev.substrate.jobs.ingest.GovernanceTestKit.gpu;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.GpuSample;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.ingest.GovernanceTestKit;
import dev.substrate.jobs.ingest.GovernanceTestKit.RawProducer;
import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.local.cli.SubstrateCli;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.schemas.wire.ReplayHeader;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code substrate dead-letters replay} against the running job, on a real broker, the embedded
 * registry and a MiniCluster at parallelism 2: a reading from a producer whose clock runs ahead is
 * refused by the {@code timestamp_not_in_future} rule; once its time has come (the cause fixed) it
 * is replayed, passes deduplication although the job saw its id, and lands in its raw table once;
 * replaying again adds nothing.
 */
class DeadLetterReplayITCase {

    private static final int GOOD = 20;

    /** How far past the rule's clock skew (5 min) the early reading is stamped. */
    private static final Duration AHEAD = Duration.ofSeconds(12);

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    @TempDir static Path dataDir;

    @Test
    void aRefusedRecordIsReplayedOnceItsCauseIsFixedAndLandsExactlyOnce() throws Exception {
        EmbeddedKafkaBroker broker = SERVICES.broker();
        EmbeddedSchemaRegistry registry = SERVICES.registry();
        Configuration config = GovernanceTestKit.jobConfig(broker, registry, dataDir);
        Catalog catalog = GovernanceTestKit.catalog(config);
        String topic = EventType.GPU_SAMPLE.topic();
        String table = EventType.GPU_SAMPLE.tableName();
        Instant t0 = Instant.now().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
        long earlyOffset;
        try (SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
                RawProducer producer = new RawProducer(broker)) {
            AvroWireEncoder encoder =
                    AvroWireEncoder.register(
                            client, EventType.GPU_SAMPLE.subject(), GpuSample.getClassSchema());
            // The good readings, the early one, a broken one, and the early one's replay.
            producer.plan(topic, GOOD + 3);
            for (int i = 0; i < GOOD; i++) {
                GpuSample sample = gpu("g-" + i, t0.plusSeconds(i), i % 4);
                producer.send(topic, sample.getGpuUuid(), encoder.encode(sample));
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            SubstrateJob.build(env, config, producer.stoppingOffsets());
            JobClient job = env.executeAsync("dead-letter-replay-itcase");
            GovernanceTestKit.awaitRows(catalog, table, GOOD, Duration.ofSeconds(90));

            // A producer whose clock runs ahead, and one sending nonsense.
            Instant ahead = Instant.now().plus(Duration.ofMinutes(5)).plus(AHEAD);
            GpuSample early = gpu("early", ahead, 1);
            List<Header> origin =
                    List.of(
                            new RecordHeader(
                                    "origin", "clock-ahead".getBytes(StandardCharsets.UTF_8)));
            earlyOffset = producer.send(topic, early.getGpuUuid(), encoder.encode(early), origin);
            GpuSample broken = gpu("broken", t0, 2);
            broken.setUtilizationPct(150.0);
            producer.send(topic, broken.getGpuUuid(), encoder.encode(broken));
            GovernanceTestKit.awaitRows(
                    catalog, EventType.DEAD_LETTER.tableName(), 2, Duration.ofSeconds(60));

            String[] replayEarly = {
                "--reason", "QUALITY_RULE_FAILED", "--rule", "timestamp_not_in_future"
            };
            Run dry = replay(broker, registry, replayEarly, "--dry-run");
            assertThat(dry.code).as(dry.toString()).isZero();
            assertThat(dry.out)
                    .contains("QUALITY_RULE_FAILED / timestamp_not_in_future")
                    .contains("Dry run: 1 records would be replayed");
            assertThat(endOffset(broker, topic))
                    .as("a dry run produces nothing")
                    .isEqualTo(GOOD + 2);

            // The cause is fixed: the reading's time has come.
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), ahead).toMillis() - 299_000));
            Run first = replay(broker, registry, replayEarly);
            assertThat(first.code).as(first.toString()).isZero();
            assertThat(first.out).contains("Replayed 1 records");
            GovernanceTestKit.awaitRows(catalog, table, GOOD + 1, Duration.ofSeconds(60));

            Run again = replay(broker, registry, replayEarly);
            assertThat(again.code).as(again.toString()).isZero();
            assertThat(again.out)
                    .contains("Replayed 0 records")
                    // selected, replayed, already replayed, not replayable
                    .containsPattern("timestamp_not_in_future +1 +0 +1 +0");
            assertThat(endOffset(broker, topic)).as("nothing replayed twice").isEqualTo(GOOD + 3);

            job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        }

        List<Record> rows = LakeReader.readAll(catalog, table);
        assertThat(rows).hasSize(GOOD + 1);
        assertThat(rows)
                .extracting(r -> (String) r.getField("event_id"))
                .doesNotHaveDuplicates()
                .contains("early")
                .doesNotContain("broken");
        assertThat(LakeReader.readAll(catalog, IngestStage.DUPLICATE_EVENTS.name()))
                .as("the replay was not taken for a duplicate of the refused original")
                .isEmpty();
        assertThat(LakeReader.readAll(catalog, IngestStage.LATE_EVENTS.name())).isEmpty();
        assertThat(LakeReader.readAll(catalog, EventType.DEAD_LETTER.tableName()))
                .extracting(r -> (Long) r.getField("source_offset"))
                .as("the original and the broken one; the replay landed")
                .containsExactlyInAnyOrder(earlyOffset, earlyOffset + 1);

        ConsumerRecord<byte[], byte[]> replayed = recordAt(broker, topic, GOOD + 2);
        assertThat(header(replayed, "origin")).isEqualTo("clock-ahead");
        assertThat(header(replayed, ReplayHeader.NAME)).isEqualTo(topic + "/0/" + earlyOffset);
    }

    private record Run(int code, String out, String err) {}

    private static Run replay(
            EmbeddedKafkaBroker broker,
            EmbeddedSchemaRegistry registry,
            String[] selection,
            String... more) {
        List<String> args = new ArrayList<>(List.of("dead-letters", "replay"));
        args.addAll(List.of(selection));
        args.addAll(List.of("--kafka", broker.bootstrapServers(), "--registry", registry.url()));
        args.addAll(List.of(more));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SubstrateCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafkaBroker broker) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private static long endOffset(EmbeddedKafkaBroker broker, String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker)) {
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }

    private static ConsumerRecord<byte[], byte[]> recordAt(
            EmbeddedKafkaBroker broker, String topic, long offset) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() == offset) {
                        return r;
                    }
                }
            }
        }
        throw new AssertionError("no record at " + topic + "-0@" + offset);
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
