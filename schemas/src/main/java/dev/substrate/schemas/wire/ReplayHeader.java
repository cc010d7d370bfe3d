package dev.substrate.schemas.wire;

/**
 * The Kafka header a replayed dead letter carries: {@code substrate.replay-of} names the record the
 * dead letter was made of, as {@code topic/partition/offset}. The replay command writes it; the
 * ingest reads it so that a replay is neither judged late nor taken for a duplicate of the record
 * it replays, and the replay command looks for it to never replay one dead letter twice.
 */
public final class ReplayHeader {

    /** The header's key. */
    public static final String NAME = "substrate.replay-of";

    private ReplayHeader() {}

    /** The header's value naming the record at {@code topic}, {@code partition}, {@code offset}. */
    public static String value(String topic, int partition, long offset) {
        // Kafka topic names cannot hold '/', so the value reads back unambiguously.
        return topic + "/" + partition + "/" + offset;
    }
}
