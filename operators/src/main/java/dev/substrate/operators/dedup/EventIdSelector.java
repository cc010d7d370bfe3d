package dev.substrate.operators.dedup;

import java.io.Serial;
import org.apache.avro.generic.IndexedRecord;
import org.apache.flink.api.java.functions.KeySelector;

/** Keys an Avro input record by its {@code event_id} field, for {@link EventDeduplicator}. */
public final class EventIdSelector<T extends IndexedRecord> implements KeySelector<T, String> {

    @Serial private static final long serialVersionUID = 1L;

    /** The field every input event type carries as its unique id. */
    public static final String FIELD = "event_id";

    private transient int position = -1;

    @Override
    public String getKey(T record) {
        if (position < 0) {
            org.apache.avro.Schema.Field field = record.getSchema().getField(FIELD);
            if (field == null) {
                throw new IllegalArgumentException(
                        record.getSchema().getFullName() + " has no " + FIELD + " field");
            }
            position = field.pos();
        }
        return String.valueOf(record.get(position));
    }
}
