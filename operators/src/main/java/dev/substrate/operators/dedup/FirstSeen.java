package dev.substrate.operators.dedup;

/**
 * What {@link EventDeduplicator} remembers per event id: when it was first accepted and a
 * fingerprint of its content. A POJO, so Flink serializes it without Kryo.
 */
public class FirstSeen {

    /** Processing time at which the first record with this id was accepted, epoch millis. */
    public long seenAtMillis;

    /** First 8 bytes of the SHA-256 of the first record's Avro encoding. */
    public long fingerprint;

    public FirstSeen() {}

    public FirstSeen(long seenAtMillis, long fingerprint) {
        this.seenAtMillis = seenAtMillis;
        this.fingerprint = fingerprint;
    }
}
