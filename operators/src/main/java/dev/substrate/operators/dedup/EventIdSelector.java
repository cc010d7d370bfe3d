package dev.substrate.operators.dedup;

import dev.substrate.schemas.wire.Sourced;
import java.io.Serial;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;
import javax.annotation.Nullable;
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
 *
 * <p>With a routing field ({@code gpu_uuid} for GPU samples) the key's route, and so its subtask,
 * is that field's value: one GPU's readings stay on one subtask ({@link EventKey}). An id is then
 * deduplicated within its route: the same id on two GPUs is two events.
 */
public final class EventIdSelector<T extends IndexedRecord>
        implements KeySelector<Sourced<T>, EventKey> {

    @Serial private static final long serialVersionUID = 1L;

    /** The field every input event type carries as its unique id. */
    public static final String FIELD = "event_id";

    /** The type of the keys, for {@code keyBy(selector, KEY_TYPE)}: a POJO, never Kryo. */
    public static final TypeInformation<EventKey> KEY_TYPE = Types.POJO(EventKey.class);

    @Nullable private final String routingField;

    private static final int UUID_LENGTH = 36;

    // Resolved on the first record. Not "= -1" initializers: Java deserialization does not run
    // them, so a selector shipped to a task would see 0 (the first field) and never resolve.
    private transient boolean resolved;
    private transient int position;
    private transient int routePosition;
    private transient MessageDigest md5;

    /** Keys routed by the event id alone. */
    public EventIdSelector() {
        this(null);
    }

    /**
     * @param routingField the field whose value keeps a record on one subtask, or null to route by
     *     the event id
     */
    public EventIdSelector(@Nullable String routingField) {
        this.routingField = routingField;
    }

    @Override
    public EventKey getKey(Sourced<T> sourced) throws NoSuchAlgorithmException {
        T record = sourced.record();
        if (!resolved) {
            position = position(record, FIELD);
            routePosition = routingField == null ? -1 : position(record, routingField);
            resolved = true;
        }
        String eventId = String.valueOf(record.get(position));
        String replayOf = sourced.replayOf();
        // NUL cannot be typed into an id by accident: the replay's key is no other id's.
        Tuple2<Long, Long> id =
                key(replayOf == null ? eventId : eventId + "\u0000replay-of\u0000" + replayOf);
        int route =
                routePosition < 0
                        ? Long.hashCode(id.f0 ^ id.f1)
                        : String.valueOf(record.get(routePosition)).hashCode();
        return new EventKey(id.f0, id.f1, route);
    }

    private static int position(IndexedRecord record, String name) {
        org.apache.avro.Schema.Field field = record.getSchema().getField(name);
        if (field == null) {
            throw new IllegalArgumentException(
                    record.getSchema().getFullName() + " has no " + name + " field");
        }
        return field.pos();
    }

    /** The 128 bits of one event id. */
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
