package dev.substrate.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads every partition of a topic up to the end offsets it has when the scan starts, from a start
 * offset chosen per partition: the whole log for an audit, the last records for a peek.
 */
final class TopicScan {

    private static final Duration POLL = Duration.ofMillis(500);

    /** The offsets a partition holds when the scan starts. */
    record Range(TopicPartition partition, long firstOffset, long endOffset) {}

    /** Chooses where to start reading a partition. */
    interface StartAt {
        long offset(Range range);
    }

    private TopicScan() {}

    /**
     * Reads {@code topic} with {@code consumer} (no group: partitions are assigned), telling {@code
     * onPartition} each partition's range first, and returns when every partition is read to the
     * end offset it had at the start.
     */
    static void read(
            KafkaConsumer<byte[], byte[]> consumer,
            String topic,
            StartAt startAt,
            Consumer<Range> onPartition,
            Consumer<ConsumerRecord<byte[], byte[]>> action) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic);
        if (infos == null || infos.isEmpty()) {
            return;
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        consumer.assign(partitions);
        Set<TopicPartition> open = new HashSet<>();
        for (TopicPartition partition : partitions) {
            Range range = new Range(partition, first.get(partition), end.get(partition));
            onPartition.accept(range);
            long start = Math.max(range.firstOffset(), startAt.offset(range));
            if (start < range.endOffset()) {
                consumer.seek(partition, start);
                open.add(partition);
            }
        }
        while (!open.isEmpty()) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                if (record.offset()
                        < end.get(new TopicPartition(record.topic(), record.partition()))) {
                    action.accept(record);
                }
            }
            open.removeIf(partition -> consumer.position(partition) >= end.get(partition));
        }
        consumer.unsubscribe();
    }
}
