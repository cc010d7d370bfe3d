package dev.substrate.operators.pii;

import dev.substrate.schemas.wire.Sourced;
import java.io.Serial;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/**
 * Replaces every PII field ({@code "pii": true} in the schema) of each record with its keyed token,
 * right before the lake; the record keeps its Kafka provenance (the lake writer reads its schema
 * id). Emits a copy, so no other consumer of the same (reused) input object sees the tokens. For a
 * schema without PII fields it is the identity and never loads the key.
 *
 * <pre>{@code
 * sourcedAudits.map(new PiiTokenizingFunction<>(AuditEvent.class, keySource))
 *       .returns(new SourcedTypeInfo<>(new AvroTypeInfo<>(AuditEvent.class))).uid("pii-audit_events");
 * }</pre>
 */
public class PiiTokenizingFunction<T extends SpecificRecordBase>
        extends RichMapFunction<Sourced<T>, Sourced<T>> {

    @Serial private static final long serialVersionUID = 1L;

    /** Counter of values replaced by tokens. */
    public static final String METRIC_TOKENIZED = "piiValuesTokenized";

    private final Class<T> recordClass;
    private final PiiKeySource keySource;

    private transient RecordTokenizer tokenizer;
    private transient SpecificData model;
    private transient Schema schema;
    private transient Counter tokenized;
    private transient int fieldCount;

    public PiiTokenizingFunction(Class<T> recordClass, PiiKeySource keySource) {
        this.recordClass = Objects.requireNonNull(recordClass, "recordClass");
        this.keySource = Objects.requireNonNull(keySource, "keySource");
        // Fail at job build time on a badly marked schema, not in a task.
        PiiFields.of(SpecificData.getForClass(recordClass).getSchema(recordClass));
    }

    @Override
    public void open(OpenContext context) {
        model = SpecificData.getForClass(recordClass);
        schema = model.getSchema(recordClass);
        List<String> fields = PiiFields.of(schema);
        fieldCount = fields.size();
        tokenizer =
                fields.isEmpty()
                        ? null
                        : new RecordTokenizer(
                                schema, fields, new PiiTokenizer(keySource.load(System.getenv())));
        tokenized = getRuntimeContext().getMetricGroup().counter(METRIC_TOKENIZED);
    }

    @Override
    public Sourced<T> map(Sourced<T> sourced) {
        if (tokenizer == null) {
            return sourced;
        }
        T copy = model.deepCopy(schema, sourced.record());
        tokenizer.tokenize(copy, null);
        tokenized.inc(fieldCount);
        return sourced.withRecord(copy);
    }
}
