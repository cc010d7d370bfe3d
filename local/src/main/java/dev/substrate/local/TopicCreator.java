package dev.substrate.local;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/** Creates the topics a run needs on any Kafka cluster, leaving existing ones as they are. */
public final class TopicCreator {

    private TopicCreator() {}

    public static void createIfAbsent(
            String bootstrapServers, Map<String, Integer> partitionsByTopic) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing =
                    partitionsByTopic.entrySet().stream()
                            .filter(e -> !existing.contains(e.getKey()))
                            .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) -1))
                            .toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            }
        }
    }
}
