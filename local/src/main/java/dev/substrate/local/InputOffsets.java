package dev.substrate.local;

import dev.substrate.schemas.EventType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the job has read the input topics: their end offsets against the offsets the job's
 * consumer group commits when a checkpoint completes. A partition whose committed offset reached
 * the end holds nothing the job has not read and checkpointed.
 */
final class InputOffsets {

    private static final long TIMEOUT_SECONDS = 30;

    private final String bootstrapServers;
    private final String groupId;

    InputOffsets(String bootstrapServers, String groupId) {
        this.bootstrapServers = bootstrapServers;
        this.groupId = groupId;
    }

    /** The end offset of every input partition now. */
    Map<TopicPartition, Long> endOffsets() throws InterruptedException {
        try (Admin admin = admin()) {
            List<String> topics = new ArrayList<>();
            EventType.inputs().forEach(type -> topics.add(type.topic()));
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            for (TopicDescription topic :
                    admin.describeTopics(topics)
                            .allTopicNames()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                            .values()) {
                topic.partitions()
                        .forEach(
                                p ->
                                        request.put(
                                                new TopicPartition(topic.name(), p.partition()),
                                                OffsetSpec.latest()));
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> entry :
                    admin.listOffsets(request)
                            .all()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                            .entrySet()) {
                ends.put(entry.getKey(), entry.getValue().offset());
            }
            return ends;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "Could not read the input topics' offsets from Kafka at "
                            + bootstrapServers
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** Whether the job's committed offsets reached {@code target} in every partition. */
    boolean caughtUp(Map<TopicPartition, Long> target) throws InterruptedException {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(groupId)
                            .partitionsToOffsetAndMetadata()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            for (Map.Entry<TopicPartition, Long> end : target.entrySet()) {
                if (end.getValue() == 0) {
                    continue;
                }
                OffsetAndMetadata at = committed.get(end.getKey());
                if (at == null || at.offset() < end.getValue()) {
                    return false;
                }
            }
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    private Admin admin() {
        return Admin.create(
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        AdminClientConfig.CLIENT_ID_CONFIG,
                        "substrate-local-progress"));
    }
}
