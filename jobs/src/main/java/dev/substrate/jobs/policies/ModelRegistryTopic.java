package dev.substrate.jobs.policies;

import dev.substrate.operators.policies.ModelApproval;
import java.util.Objects;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
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

    /** The Kafka source of the registry's changes: bounded at start when {@link #bounded}. */
    public KafkaSource<ModelApproval> source() {
        return bounded ? snapshotSource() : builder(groupId).build();
    }

    /**
     * The Kafka source of the registry as it stands at start: read from the beginning up to the end
     * offsets the topic has when the job starts, then finished (its own consumer group).
     */
    public KafkaSource<ModelApproval> snapshotSource() {
        return builder(bounded ? groupId : groupId + "-snapshot")
                .setBounded(OffsetsInitializer.latest())
                .build();
    }

    private KafkaSourceBuilder<ModelApproval> builder(String group) {
        return KafkaSource.<ModelApproval>builder()
                .setBootstrapServers(bootstrapServers)
                .setTopics(topic)
                .setGroupId(group)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new ModelRegistryDeserializer());
    }
}
