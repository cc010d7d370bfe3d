package dev.substrate.jobs.ingest;

import dev.substrate.events.DeadLetter;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.wire.Sourced;
import javax.annotation.Nullable;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The seam where the ingest applies data-quality rules: per event type, after deduplication and
 * before PII tokenization. Records a rule refuses come back as dead letters; whatever the step
 * reports about itself (the quality report table) it adds in {@link #complete}.
 */
public interface QualityStep {

    /** No rules: every record passes (without its provenance). */
    QualityStep NONE =
            new QualityStep() {
                @Override
                public <T extends SpecificRecordBase> Checked<T> apply(
                        DataStream<Sourced<T>> records, EventType type, Class<T> recordClass) {
                    return new Checked<>(records, null);
                }
            };

    /**
     * Applies the rules of {@code type} to its records, which come and leave with their Kafka
     * provenance (for replayable dead letters, and for the lake writer, which reads the writer
     * schema id).
     */
    <T extends SpecificRecordBase> Checked<T> apply(
            DataStream<Sourced<T>> records, EventType type, Class<T> recordClass);

    /** Called once after {@link #apply} was called for every type. */
    default void complete(StreamExecutionEnvironment env) {}

    /** The records that passed (possibly tagged), and those the rules refused. */
    record Checked<T>(
            DataStream<Sourced<T>> passed, @Nullable DataStream<DeadLetter> deadLetters) {}
}
