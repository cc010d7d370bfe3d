package dev.substrate.schemas.wire;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.KafkaHeader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A decoded record with the Kafka record it was decoded from: partition, offset, timestamp, schema
 * id, and the original key, value (the wire-format frame) and headers. It travels with the record
 * from the source to the quality rules, so that a record refused there becomes a dead letter that
 * can be replayed byte for byte ({@link #deadLetter}); the topic is not carried, since every stream
 * of the ingest reads one topic.
 *
 * <p>The byte arrays and the header list are never modified, so copies may share them; the record
 * is the pipeline's to modify (the quality gate writes its tags into it).
 *
 * <pre>{@code
 * Sourced<GpuSample> sourced = Sourced.<GpuSample>builder()
 *         .record(sample).partition(0).offset(42).timestamp(millis).schemaId(7)
 *         .key(key).value(frame).headers(List.of())
 *         .build();
 * DeadLetter refused = sourced.deadLetter("substrate.gpu-samples")
 *         .setDeadLetteredAt(now).setReason(DeadLetterReason.QUALITY_RULE_FAILED)
 *         .setRule("power_within_limit").setMessage("...").build();
 * }</pre>
 */
public final class Sourced<T> {

    private final T record;
    private final int partition;
    private final long offset;
    private final long timestamp;
    private final int schemaId;
    private final byte[] key;
    private final byte[] value;
    private final List<KafkaHeader> headers;
    private final String replayOf;

    private Sourced(T record, Sourced<?> provenance) {
        this.record = record;
        this.partition = provenance.partition;
        this.offset = provenance.offset;
        this.timestamp = provenance.timestamp;
        this.schemaId = provenance.schemaId;
        this.key = provenance.key;
        this.value = provenance.value;
        this.headers = provenance.headers;
        this.replayOf = provenance.replayOf;
    }

    private Sourced(Builder<T> b) {
        this.record = b.record;
        this.partition = b.partition;
        this.offset = b.offset;
        this.timestamp = b.timestamp;
        this.schemaId = b.schemaId;
        this.key = b.key;
        this.value = b.value;
        this.headers = b.headers;
        this.replayOf = replayOf(b.headers);
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** The decoded record. */
    public T record() {
        return record;
    }

    /** The same provenance with another record (a tokenized copy, say). */
    public <R> Sourced<R> withRecord(R other) {
        return new Sourced<>(other, this);
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    /** The Kafka record's timestamp, epoch millis. */
    public long timestamp() {
        return timestamp;
    }

    /** The writer schema id of the frame. */
    public int schemaId() {
        return schemaId;
    }

    /** The Kafka key, or null. Never modify it. */
    public byte[] key() {
        return key;
    }

    /** The Kafka value: the whole wire-format frame. Never modify it. */
    public byte[] value() {
        return value;
    }

    /** The Kafka headers, in order; empty when there were none. Unmodifiable. */
    public List<KafkaHeader> headers() {
        return headers;
    }

    /**
     * The value of the {@link ReplayHeader} when this record replays a dead letter (the replayed
     * record's {@code topic/partition/offset}), or null for an ordinary record.
     */
    public String replayOf() {
        return replayOf;
    }

    /**
     * A dead letter of this record read from {@code topic}, with its coordinates, schema id and
     * original key, value and headers filled in; the caller adds when, why and what.
     */
    public DeadLetter.Builder deadLetter(String topic) {
        return provenance(topic, partition, offset, timestamp, schemaId, key, value, headers);
    }

    /**
     * A dead letter of the Kafka record at these coordinates, with its original key, value and
     * headers (a null value for a tombstone, a null schema id for a value that is not a frame).
     */
    public static DeadLetter.Builder provenance(
            String topic,
            int partition,
            long offset,
            long timestamp,
            Integer schemaId,
            byte[] key,
            byte[] value,
            List<KafkaHeader> headers) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setSourceTimestamp(Instant.ofEpochMilli(timestamp))
                .setSchemaId(schemaId)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setOriginalHeaders(headers);
    }

    private static String replayOf(List<KafkaHeader> headers) {
        // Almost always empty: the common case costs one size check.
        for (int i = headers.size() - 1; i >= 0; i--) {
            KafkaHeader header = headers.get(i);
            if (ReplayHeader.NAME.equals(header.getKey()) && header.getValue() != null) {
                ByteBuffer bytes = header.getValue().duplicate();
                byte[] text = new byte[bytes.remaining()];
                bytes.get(text);
                return new String(text, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "Sourced{partition="
                + partition
                + ", offset="
                + offset
                + ", schemaId="
                + schemaId
                + (replayOf == null ? "" : ", replayOf=" + replayOf)
                + ", record="
                + record
                + '}';
    }

    /**
     * Builds a {@link Sourced}; may be reused for the next record after {@link #build}, which
     * checks that the record and the value are set.
     */
    public static final class Builder<T> {
        private T record;
        private int partition = -1;
        private long offset = -1;
        private long timestamp;
        private int schemaId;
        private byte[] key;
        private byte[] value;
        private List<KafkaHeader> headers = List.of();

        private Builder() {}

        public Builder<T> record(T record) {
            this.record = record;
            return this;
        }

        public Builder<T> partition(int partition) {
            this.partition = partition;
            return this;
        }

        public Builder<T> offset(long offset) {
            this.offset = offset;
            return this;
        }

        public Builder<T> timestamp(long timestamp) {
            this.timestamp = timestamp;
            return this;
        }

        public Builder<T> schemaId(int schemaId) {
            this.schemaId = schemaId;
            return this;
        }

        public Builder<T> key(byte[] key) {
            this.key = key;
            return this;
        }

        public Builder<T> value(byte[] value) {
            this.value = value;
            return this;
        }

        /** The headers in order; the list is kept, not copied, and must not change afterwards. */
        public Builder<T> headers(List<KafkaHeader> headers) {
            this.headers = Objects.requireNonNull(headers, "headers");
            return this;
        }

        public Sourced<T> build() {
            Objects.requireNonNull(record, "record");
            Objects.requireNonNull(value, "value");
            if (partition < 0 || offset < 0) {
                throw new IllegalArgumentException(
                        "Kafka coordinates must be set: partition "
                                + partition
                                + ", offset "
                                + offset);
            }
            return new Sourced<>(this);
        }
    }
}
