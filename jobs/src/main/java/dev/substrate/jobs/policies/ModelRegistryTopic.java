package dev.substrate.jobs.policies;

import dev.substrate.operators.policies.ModelApproval;
import java.util.Objects;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

/**
 * The approved-model registry topic the policies read as a broadcast stream, always from its
 * beginning (the topic is compacted: its whole content is the registry).
 *
 * @param bounded stop at the offsets the topic has at start (a bounded run of the job); else read
 *     forever, so approving or revoking a version takes effect without a restart
 */
public record ModelRegistryTopic(
        String bootstrapServers, String topic, String groupId, boolean bounded) {

    public ModelRegistryTopic {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(groupId, "groupId");
    }

    /** The same topic, read up to the offsets it has at start. */
    public ModelRegistryTopic boundedAtStart() {
        return new ModelRegistryTopic(bootstrapServers, topic, groupId, true);
    }

    /** The Kafka source of the registry's changes. */
    public KafkaSource<ModelApproval> source() {
        var builder =
                KafkaSource.<ModelApproval>builder()
                        .setBootstrapServers(bootstrapServers)
                        .setTopics(topic)
                        .setGroupId(groupId)
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setDeserializer(new ModelRegistryDeserializer());
        if (bounded) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }
}
