package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.samples.SampleMix;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.testkit.EmbeddedServicesExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code substrate local --no-samples --catch-up} against a Kafka and a registry that already hold
 * a user's data: the run registers and produces nothing, processes what is waiting, stops, and its
 * audit accounts for every record it read, a tombstone included.
 */
class LocalRunOnExistingDataITCase {

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(SubstrateJob.topics(new Configuration()));

    @TempDir Path dataDir;

    @Test
    void theJobRunsOnWhatTheTopicsHoldAndAccountsForEveryRecord() throws Exception {
        String bootstrap = SERVICES.broker().bootstrapServers();
        String registryUrl = SERVICES.registry().url();
        long produced;
        List<String> subjectsBefore;
        try (SchemaRegistryClient registry =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl));
                KafkaProducer<byte[], byte[]> kafka = producer(bootstrap)) {
            // What a user's own Confluent producers did: register, then write framed Avro.
            AvroWireEncoder gpu =
                    AvroWireEncoder.register(
                            registry, EventType.GPU_SAMPLE.subject(), GpuSample.getClassSchema());
            AvroWireEncoder audit =
                    AvroWireEncoder.register(
                            registry, EventType.AUDIT_EVENT.subject(), AuditEvent.getClassSchema());
            SampleMix mix =
                    new SampleMix(
                            SampleMix.Config.of(7, 600)
                                    .withStart(Instant.now().minus(Duration.ofHours(2))));
            produced = 0;
            while (mix.hasNext()) {
                SpecificRecord record = mix.next().record();
                if (record instanceof GpuSample sample) {
                    send(kafka, EventType.GPU_SAMPLE.topic(), gpu.encode(sample));
                    produced++;
                } else if (record instanceof AuditEvent event) {
                    send(kafka, EventType.AUDIT_EVENT.topic(), audit.encode(event));
                    produced++;
                }
            }
            send(kafka, EventType.AUDIT_EVENT.topic(), null); // a tombstone
            produced++;
            kafka.flush();
            subjectsBefore = registry.getSubjects();
        }

        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        RunSummary summary =
                new LocalRunner(
                                LocalSettings.builder()
                                        .dataDir(dataDir)
                                        .externalKafka(bootstrap)
                                        .externalRegistry(registryUrl)
                                        .ports(0, 0, 0)
                                        .searchPort(0)
                                        .dashboardPort(0)
                                        .checkpointInterval(Duration.ofMillis(500))
                                        .samples(false)
                                        .catchUp(true)
                                        .build(),
                                out)
                        .run();
        summary.print(out);
        String printed = output.toString(StandardCharsets.UTF_8);

        assertThat(summary.accountedFor()).as(printed).isTrue();
        assertThat(summary.produced()).as("nothing produced by the run").isNull();
        assertThat(summary.audit().inputRecords())
                .as("the audit read exactly what the user's producers wrote")
                .isEqualTo(produced);
        assertThat(summary.deadLettersPerReason()).containsEntry("TOMBSTONE", 1L);
        assertThat(printed).contains("input partition").contains("substrate.audit-events-0");
        try (SchemaRegistryClient registry =
                new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl))) {
            // The job registers its own outputs' schemas as it writes them; of the inputs' subjects
            // the run registered nothing: the user's two kept their one version, the others stay
            // absent.
            List<String> inputSubjects =
                    EventType.inputs().stream().map(EventType::subject).toList();
            assertThat(registry.getSubjects().stream().filter(inputSubjects::contains))
                    .as("no input subject registered by the run")
                    .containsExactlyInAnyOrderElementsOf(subjectsBefore);
            for (String subject : subjectsBefore) {
                assertThat(registry.getVersions(subject)).as(subject).hasSize(1);
            }
        }
    }

    /** Sends one record and waits until Kafka has it: the test counts only what landed. */
    private static void send(KafkaProducer<byte[], byte[]> kafka, String topic, byte[] value)
            throws Exception {
        kafka.send(new ProducerRecord<>(topic, null, value)).get(30, TimeUnit.SECONDS);
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }
}
