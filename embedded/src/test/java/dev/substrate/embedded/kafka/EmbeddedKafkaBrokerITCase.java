package dev.substrate.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerITCase {

    private static final String TOPIC = "substrate.test-events";

    @TempDir Path dir;

    @Test
    void producesConsumesAndKeepsDataAcrossRestart() throws Exception {
        Path logDir = dir.resolve("kafka");
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add("event-" + i);
        }

        int port;
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(logDir)) {
            port = kafka.port();
            assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
            kafka.createTopics(Map.of(TOPIC, 2));
            kafka.createTopics(Map.of(TOPIC, 2)); // idempotent
            kafka.createCompactedTopics(Map.of("substrate.test-compacted", 1));

            try (Admin admin = admin(kafka)) {
                TopicDescription topic =
                        admin.describeTopics(Set.of(TOPIC)).allTopicNames().get().get(TOPIC);
                assertThat(topic.partitions()).hasSize(2);
                ConfigResource compacted =
                        new ConfigResource(ConfigResource.Type.TOPIC, "substrate.test-compacted");
                assertThat(
                                admin.describeConfigs(Set.of(compacted))
                                        .all()
                                        .get()
                                        .get(compacted)
                                        .get("cleanup.policy")
                                        .value())
                        .isEqualTo("compact");
            }

            try (KafkaProducer<String, String> producer = producer(kafka)) {
                for (int i = 0; i < sent.size(); i++) {
                    producer.send(new ProducerRecord<>(TOPIC, "key-" + i, sent.get(i)));
                }
                producer.flush();
            }
            List<ConsumerRecord<String, String>> received = consumeAll(kafka, 100);
            assertThat(received).extracting(ConsumerRecord::value).hasSameElementsAs(sent);
            assertThat(received).extracting(ConsumerRecord::partition).contains(0, 1);
        }

        // Restart on the same log dir and, as a local run does, on the same fixed port.
        long restartStarted = System.nanoTime();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(logDir, port)) {
            assertThat(kafka.port()).isEqualTo(port);
            long restartMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartStarted);
            assertThat(restartMillis).isLessThan(15_000);
            kafka.createTopics(Map.of(TOPIC, 2)); // existing topic: no error
            assertThat(consumeAll(kafka, 100))
                    .extracting(ConsumerRecord::value)
                    .hasSameElementsAs(sent);
        }
    }

    @Test
    void refusesAPortInUseWithAClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dir.resolve("kafka"), port))
                    .isInstanceOf(EmbeddedKafkaBroker.PortInUseException.class)
                    .hasMessageContaining("Port " + port)
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("choose another Kafka port");
        }
    }

    @Test
    void brokerSettingsSuitASingleLocalNode() throws Exception {
        try (EmbeddedKafkaBroker kafka =
                        EmbeddedKafkaBroker.builder(dir.resolve("kafka"))
                                .defaultPartitions(3)
                                .start();
                Admin admin = admin(kafka)) {
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
            Config config = admin.describeConfigs(Set.of(broker)).all().get().get(broker);
            assertThat(config.get("auto.create.topics.enable").value()).isEqualTo("false");
            assertThat(config.get("num.partitions").value()).isEqualTo("3");
            assertThat(config.get("offsets.topic.replication.factor").value()).isEqualTo("1");
            assertThat(config.get("transaction.state.log.replication.factor").value())
                    .isEqualTo("1");
            assertThat(config.get("min.insync.replicas").value()).isEqualTo("1");
            assertThat(config.get("group.initial.rebalance.delay.ms").value()).isEqualTo("0");
            assertThat(kafka.controllerPort()).isNotEqualTo(kafka.port());
        }
    }

    private static List<ConsumerRecord<String, String>> consumeAll(
            EmbeddedKafkaBroker kafka, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                kafka.bootstrapServers(),
                                ConsumerConfig.GROUP_ID_CONFIG,
                                "it-" + System.nanoTime(),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest"),
                        new StringDeserializer(),
                        new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record :
                        consumer.poll(Duration.ofMillis(200))) {
                    if (seen.add(record.partition() + "/" + record.offset())) {
                        records.add(record);
                    }
                }
            }
        }
        assertThat(records).hasSize(expected);
        return records;
    }

    private static KafkaProducer<String, String> producer(EmbeddedKafkaBroker kafka) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        "5000"),
                new StringSerializer(),
                new StringSerializer());
    }

    private static Admin admin(EmbeddedKafkaBroker kafka) {
        return Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }
}
