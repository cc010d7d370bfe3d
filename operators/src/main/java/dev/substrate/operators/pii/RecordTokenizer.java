package dev.substrate.operators.pii;

import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Replaces the PII fields of records of one Avro schema with their tokens, in place. Built from the
 * schema once; cheap per record. Not thread-safe (it shares the {@link PiiTokenizer}).
 */
public final class RecordTokenizer {

    private final int[] positions;
    private final PiiTokenizer tokenizer;

    /**
     * @param piiFieldNames fields to tokenize (see {@link PiiFields#of}); names absent from {@code
     *     schema} are ignored, so the reader's PII names can be applied to an older writer schema
     */
    public RecordTokenizer(Schema schema, List<String> piiFieldNames, PiiTokenizer tokenizer) {
        this.positions =
                piiFieldNames.stream()
                        .map(schema::getField)
                        .filter(java.util.Objects::nonNull)
                        .mapToInt(Schema.Field::pos)
                        .toArray();
        this.tokenizer = tokenizer;
    }

    public boolean isNoOp() {
        return positions.length == 0;
    }

    /**
     * Tokenizes every PII field of {@code record} in place.
     *
     * @param replaced if not null, receives each clear value and its token (to scrub messages)
     */
    public void tokenize(IndexedRecord record, Map<String, String> replaced) {
        for (int pos : positions) {
            Object value = record.get(pos);
            if (value == null) {
                continue;
            }
            String clear = value.toString();
            String token = tokenizer.token(clear);
            record.put(pos, token);
            if (replaced != null && !clear.equals(token)) {
                replaced.put(clear, token);
            }
        }
    }
}
