package dev.substrate.jobs;

import static dev.substrate.jobs.ingest.GovernanceTestKit.gpu;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.GovernanceTestKit;
import dev.substrate.jobs.ingest.GovernanceTestKit.RawProducer;
import dev.substrate.jobs.telemetry.FleetHealthOptions;
import dev.substrate.jobs.telemetry.TelemetryWindowsOptions;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.sinks.kafka.KafkaOutputSink;
import dev.substrate.testkit.EmbeddedServicesExtension;
import dev.substrate.testkit.MiniClusters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's Kafka outputs, switched to exactly-once ({@code kafka.outputs.delivery}): what the
 * stages publish reaches {@code read_committed} consumers through Kafka transactions committed on
 * checkpoints, and every record carries its deterministic id in the header {@value
 * KafkaOutputSink#RECORD_ID_HEADER}, no two alike.
 */
class KafkaOutputsITCase {

    private static final int READINGS = 240;

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    @TempDir Path dataDir;

    @Test
    void exactlyOnceOutputsReachReadCommittedConsumersEachWithItsOwnId() throws Exception {
        Configuration config =
                GovernanceTestKit.jobConfig(SERVICES.broker(), SERVICES.registry(), dataDir);
        config.set(SubstrateOptions.KAFKA_OUTPUT_DELIVERY, DeliveryGuarantee.EXACTLY_ONCE);
        config.set(SubstrateOptions.JOB_NAME, "kafka-outputs-itcase");

        Instant t0 = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MINUTES);
        try (SchemaRegistryClient client =
                        new SchemaRegistryClient(
                                SchemaRegistryConfig.of(SERVICES.registry().url()));
                RawProducer producer = new RawProducer(SERVICES.broker())) {
            AvroWireEncoder encoder =
                    AvroWireEncoder.register(
                            client, EventType.GPU_SAMPLE.subject(), GpuSample.getClassSchema());
            String topic = EventType.GPU_SAMPLE.topic();
            producer.plan(topic, READINGS);
            for (int i = 0; i < READINGS; i++) {
                // Four GPUs on four nodes, a reading a second each: four 1-minute windows each.
                GpuSample sample = gpu("g-" + i, t0.plusSeconds(i), i % 4);
                producer.send(topic, sample.getGpuUuid(), encoder.encode(sample));
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            SubstrateJob.build(env, config, producer.stoppingOffsets());
            // Bounded: the final checkpoint commits the last transactions.
            env.execute("kafka-outputs-itcase");
        }

        List<ConsumerRecord<byte[], byte[]>> windows =
                readCommitted(config.get(TelemetryWindowsOptions.TOPIC));
        List<ConsumerRecord<byte[], byte[]>> health =
                readCommitted(config.get(FleetHealthOptions.NODE_HEALTH_TOPIC));

        assertThat(windows).as("window rows, committed").hasSizeGreaterThan(16);
        assertThat(health).as("one health record per node at least").hasSizeGreaterThanOrEqualTo(4);
        for (List<ConsumerRecord<byte[], byte[]>> output : List.of(windows, health)) {
            List<String> ids = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : output) {
                Header id = record.headers().lastHeader(KafkaOutputSink.RECORD_ID_HEADER);
                assertThat(id).as("record id header").isNotNull();
                ids.add(new String(id.value(), StandardCharsets.UTF_8));
            }
            assertThat(ids).doesNotHaveDuplicates().allMatch(s -> !s.isBlank());
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                SERVICES.broker().bootstrapServers(),
                                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                "read_committed",
                                ConsumerConfig.GROUP_ID_CONFIG,
                                "itcase-" + topic,
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long quietSince = System.nanoTime();
            long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // Until nothing new arrived for 3 s after the first records.
            while (System.nanoTime() < giveUp) {
                int before = records.size();
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                if (records.size() > before) {
                    quietSince = System.nanoTime();
                } else if (!records.isEmpty()
                        && System.nanoTime() - quietSince > Duration.ofSeconds(3).toNanos()) {
                    break;
                }
            }
        }
        return records;
    }
}
