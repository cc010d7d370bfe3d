package dev.substrate.operators.dedup;

import dev.substrate.schemas.wire.Sourced;
import java.io.Serial;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;
import org.apache.avro.generic.IndexedRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;

/**
 * Keys an Avro input record by its {@code event_id} field, for {@link EventDeduplicator}, as 128
 * bits: a canonical UUID (lower-case, as every Substrate producer writes ids) is its own two longs,
 * exactly; any other id is the MD5 of its UTF-8 bytes (odds of two of a billion ids colliding:
 * about 10<sup>-21</sup>).
 *
 * <p>A replayed dead letter ({@link Sourced#replayOf()}) is keyed by its id <em>and</em> the record
 * it replays: deduplication runs before the quality rules, so the refused original's id is already
 * in the state, and the replay would otherwise be taken for its duplicate. Two replays of the same
 * dead letter still share a key, so a second one is a duplicate.
 *
 * <p>Why not the string: the deduplication state holds one key per id seen within the horizon, and
 * the heap backend writes every key at every checkpoint; Flink writes strings byte by byte, which
 * was the largest single cost of checkpointing in the pipeline benchmark.
 */
public final class EventIdSelector<T extends IndexedRecord>
        implements KeySelector<Sourced<T>, Tuple2<Long, Long>> {

    @Serial private static final long serialVersionUID = 1L;

    /** The field every input event type carries as its unique id. */
    public static final String FIELD = "event_id";

    /** The type of the keys, for {@code keyBy(selector, KEY_TYPE)}. */
    public static final TypeInformation<Tuple2<Long, Long>> KEY_TYPE =
            Types.TUPLE(Types.LONG, Types.LONG);

    private static final int UUID_LENGTH = 36;

    // Resolved on the first record. Not "= -1": Java deserialization does not run initializers,
    // so a selector shipped to a task would see 0 (the first field) and take it for the id.
    private transient boolean resolved;
    private transient int position;
    private transient MessageDigest md5;

    @Override
    public Tuple2<Long, Long> getKey(Sourced<T> sourced) throws NoSuchAlgorithmException {
        T record = sourced.record();
        if (!resolved) {
            org.apache.avro.Schema.Field field = record.getSchema().getField(FIELD);
            if (field == null) {
                throw new IllegalArgumentException(
                        record.getSchema().getFullName() + " has no " + FIELD + " field");
            }
            position = field.pos();
            resolved = true;
        }
        String eventId = String.valueOf(record.get(position));
        String replayOf = sourced.replayOf();
        // NUL cannot be typed into an id by accident: the replay's key is no other id's.
        return key(replayOf == null ? eventId : eventId + "\u0000replay-of\u0000" + replayOf);
    }

    /** The key of one event id. */
    Tuple2<Long, Long> key(String eventId) throws NoSuchAlgorithmException {
        if (eventId.length() == UUID_LENGTH && eventId.charAt(8) == '-') {
            try {
                UUID uuid = UUID.fromString(eventId);
                // Only the canonical spelling: "ABC…" and "abc…" are different ids.
                if (uuid.toString().equals(eventId)) {
                    return Tuple2.of(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
                }
            } catch (IllegalArgumentException notAUuid) {
                // hashed below
            }
        }
        if (md5 == null) {
            md5 = MessageDigest.getInstance("MD5");
        }
        ByteBuffer digest = ByteBuffer.wrap(md5.digest(eventId.getBytes(StandardCharsets.UTF_8)));
        return Tuple2.of(digest.getLong(), digest.getLong());
    }
}
