package dev.substrate.dashboard.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * An Avro record as the JSON the browser gets: field names as in the schema, timestamps as epoch
 * milliseconds, enums as their names. Bytes are never sent (a dead letter's original bytes may hold
 * clear PII), nor the fields named in {@code omit}.
 */
final class RecordJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RecordJson() {}

    static ObjectNode of(SpecificRecord record, Set<String> omit) {
        ObjectNode json = NODES.objectNode();
        for (Schema.Field field : record.getSchema().getFields()) {
            if (!omit.contains(field.name())) {
                JsonNode value = value(record.get(field.pos()));
                if (value != null) {
                    json.set(field.name(), value);
                }
            }
        }
        return json;
    }

    static ObjectNode of(SpecificRecord record) {
        return of(record, Set.of());
    }

    private static JsonNode value(Object value) {
        if (value == null) {
            return NODES.nullNode();
        } else if (value instanceof Instant instant) {
            return NODES.numberNode(instant.toEpochMilli());
        } else if (value instanceof Integer || value instanceof Long) {
            return NODES.numberNode(((Number) value).longValue());
        } else if (value instanceof Number number) {
            double d = number.doubleValue();
            return Double.isFinite(d) ? NODES.numberNode(d) : NODES.nullNode();
        } else if (value instanceof Boolean bool) {
            return NODES.booleanNode(bool);
        } else if (value instanceof ByteBuffer || value instanceof byte[]) {
            return null;
        } else if (value instanceof SpecificRecord nested) {
            return of(nested);
        } else if (value instanceof Collection<?> items) {
            ArrayNode array = NODES.arrayNode();
            for (Object item : items) {
                JsonNode node = value(item);
                if (node != null) {
                    array.add(node);
                }
            }
            return array;
        } else if (value instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            map.forEach(
                    (k, v) -> {
                        JsonNode node = value(v);
                        if (node != null) {
                            object.set(String.valueOf(k), node);
                        }
                    });
            return object;
        }
        return NODES.textNode(value.toString()); // strings, enums
    }
}
