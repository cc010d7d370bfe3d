package dev.substrate.operators.quality;

import dev.cel.runtime.CelVariableResolver;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * The variables of one evaluation, read from the current record on demand: one instance is reused
 * for every record of an operator, so a record costs no map of its fields, only the conversions of
 * the fields its rules read.
 */
final class RecordActivation implements CelVariableResolver {

    private final Map<String, Schema.Field> fields = new LinkedHashMap<>();
    private final RecordView view = new RecordView();
    private IndexedRecord record;
    // now is kept as given: an Instant, or epoch millis turned into one only if a rule asks.
    private Instant now;
    private long nowMillis;
    private Duration clockSkew;

    RecordActivation(Schema schema) {
        for (Schema.Field field : schema.getFields()) {
            fields.put(field.name(), field);
        }
    }

    void reset(IndexedRecord record, Instant now, Duration clockSkew) {
        this.record = record;
        this.now = now;
        this.clockSkew = clockSkew;
    }

    void reset(IndexedRecord record, long nowMillis, Duration clockSkew) {
        this.record = record;
        this.now = null;
        this.nowMillis = nowMillis;
        this.clockSkew = clockSkew;
    }

    @Override
    public Optional<Object> find(String name) {
        switch (name) {
            case RuleCompiler.NOW:
                if (now == null) {
                    now = Instant.ofEpochMilli(nowMillis);
                }
                return Optional.of(now);
            case RuleCompiler.CLOCK_SKEW:
                return Optional.of(clockSkew);
            case RuleCompiler.RECORD:
                return Optional.of(view);
            default:
                Schema.Field field = fields.get(name);
                return field == null
                        ? Optional.empty()
                        : Optional.of(AvroCel.valueOf(record.get(field.pos()), field.schema()));
        }
    }

    /** The raw Avro value of a field of the current record. */
    Object rawValue(String fieldName) {
        Schema.Field field = fields.get(fieldName);
        return field == null ? null : record.get(field.pos());
    }

    /**
     * The record as a CEL map whose keys are the fields that are set (not null), so {@code
     * has(record.field)} is true exactly when the field has a value.
     */
    private final class RecordView extends AbstractMap<String, Object> {

        @Override
        public boolean containsKey(Object key) {
            Schema.Field field = fields.get(key);
            return field != null && record.get(field.pos()) != null;
        }

        @Override
        public Object get(Object key) {
            Schema.Field field = fields.get(key);
            if (field == null) {
                return null;
            }
            Object value = record.get(field.pos());
            return value == null ? null : AvroCel.valueOf(value, field.schema());
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            // Only for whole-map operations (size, iteration), which rules rarely do.
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Schema.Field field : fields.values()) {
                Object value = record.get(field.pos());
                if (value != null) {
                    copy.put(field.name(), AvroCel.valueOf(value, field.schema()));
                }
            }
            return copy.entrySet();
        }
    }
}
