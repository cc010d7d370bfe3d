package dev.substrate.local;

import dev.substrate.samples.AuditEventGenerator;
import dev.substrate.samples.SampleVocabulary;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Approves every model version of the sample vocabulary in the model registry topic before a local
 * run with samples, and makes the topic compacted (its content is the registry): the sample
 * invocations of unapproved versions ({@link AuditEventGenerator#UNAPPROVED_SUFFIX}) are then the
 * only violations of the unapproved-model policy. Approving again is harmless (same key, same
 * value).
 */
final class ModelRegistrySeeder {

    /** Approvals hold since 2000-01-01: before any sample event. */
    static final Instant APPROVED_SINCE = Instant.parse("2000-01-01T00:00:00Z");

    private ModelRegistrySeeder() {}

    static void approveSampleModels(String bootstrapServers, String topic) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(
                            Map.of(
                                    resource,
                                    List.of(
                                            new AlterConfigOp(
                                                    new ConfigEntry(
                                                            TopicConfig.CLEANUP_POLICY_CONFIG,
                                                            TopicConfig.CLEANUP_POLICY_COMPACT),
                                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrapServers,
                                ProducerConfig.ACKS_CONFIG,
                                "all"),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            for (SampleVocabulary.ModelSpec model : SampleVocabulary.MODELS) {
                for (String version : model.versions()) {
                    producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    null,
                                    APPROVED_SINCE.toEpochMilli(),
                                    (model.name() + ":" + version).getBytes(StandardCharsets.UTF_8),
                                    "approved".getBytes(StandardCharsets.UTF_8)));
                }
            }
            producer.flush();
        }
    }
}
