package dev.substrate.jobs.local;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * What a {@link LakeAudit} found: per input partition, the offsets read and where the records
 * landed; the records missing from the lake and those found more than once, counted and the first
 * few named; and, per Kafka output, its records and how many were repeats.
 *
 * @param landed rows per lake table that input records account for
 */
public record AuditReport(
        List<PartitionCount> partitions,
        Map<String, Long> landed,
        long missing,
        long repeated,
        List<String> missingExamples,
        List<String> repeatedExamples,
        Map<String, OutputCount> outputs) {

    /** Every input record is in exactly one place, exactly once. */
    public boolean clean() {
        return missing == 0 && repeated == 0;
    }

    /** Records in the input topics, all partitions. */
    public long inputRecords() {
        return partitions.stream().mapToLong(p -> p.records).sum();
    }

    /** One input partition: the offsets read and how its records were accounted for. */
    public static final class PartitionCount {
        private final TopicPartition partition;
        private final long firstOffset;
        private final long endOffset;
        long records;
        long deadLettered;
        long events;

        PartitionCount(TopicPartition partition, long firstOffset, long endOffset) {
            this.partition = partition;
            this.firstOffset = firstOffset;
            this.endOffset = endOffset;
        }

        public TopicPartition partition() {
            return partition;
        }

        public long firstOffset() {
            return firstOffset;
        }

        public long endOffset() {
            return endOffset;
        }

        /** Records read (fewer than the offsets span when a transactional producer wrote). */
        public long records() {
            return records;
        }

        public long deadLettered() {
            return deadLettered;
        }

        /** Records found by event id (raw table, late or duplicate events). */
        public long events() {
            return events;
        }
    }

    /** A Kafka output: records, and distinct records (the rest are redelivered repeats). */
    public record OutputCount(String topic, long records, long distinct) {
        public long repeats() {
            return records - distinct;
        }
    }

    /** Prints the audit for a person: the verdict first, then what it rests on. */
    public void print(PrintStream out, boolean perPartition) {
        if (clean()) {
            out.printf(
                    "Audit: every record in the input topics (%,d, read from the first offset) is"
                            + " in exactly one place in the lake, once.%n",
                    inputRecords());
        } else {
            out.printf(
                    "AUDIT FAILED: of %,d records in the input topics, %,d are missing from the"
                            + " lake and %,d are there more than once.%n",
                    inputRecords(), missing, repeated);
            missingExamples.forEach(example -> out.println("  missing:  " + example));
            repeatedExamples.forEach(example -> out.println("  repeated: " + example));
        }
        StringBuilder where = new StringBuilder("  landed:");
        landed.forEach((table, rows) -> where.append(String.format(" %s %,d", table, rows)));
        out.println(where);
        if (perPartition) {
            out.println(
                    "  input partition                      offsets read        records  dead"
                            + " letters  events");
            for (PartitionCount p : partitions) {
                out.printf(
                        "  %-36s %,8d..%,-8d %,9d %,13d %,7d%n",
                        p.partition(),
                        p.firstOffset(),
                        p.endOffset(),
                        p.records(),
                        p.deadLettered(),
                        p.events());
            }
        }
        outputs.values()
                .forEach(
                        output ->
                                out.printf(
                                        "  output %-30s %,d records, %,d distinct%s%n",
                                        output.topic(),
                                        output.records(),
                                        output.distinct(),
                                        output.repeats() == 0
                                                ? ""
                                                : String.format(
                                                        " (%,d repeats: this output is"
                                                                + " at-least-once)",
                                                        output.repeats())));
    }
}
