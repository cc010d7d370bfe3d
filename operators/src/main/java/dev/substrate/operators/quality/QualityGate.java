package dev.substrate.operators.quality;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.schemas.EventType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Applies the quality rules of one event type to every record: a record failing any {@link
 * Action#DLQ} rule goes to {@link #DEAD_LETTERS}; otherwise it goes on, with the names of the
 * failed {@link Action#TAG} rules in its {@code quality_tags}. Every rule's verdict on every record
 * goes to {@link #OUTCOMES} for the quality report, and to the metrics {@code
 * quality.<rule>.passed|failed|tagged|dead_lettered}.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<GpuSample> kept =
 *     samples.process(new QualityGate<>(GpuSample.class, RuleSet.load("GpuSample"),
 *             EventType.GPU_SAMPLE.topic()))
 *         .uid("quality-gpu-samples");
 * DataStream<DeadLetter> refused = kept.getSideOutput(QualityGate.DEAD_LETTERS);
 * DataStream<QualityOutcome> outcomes = kept.getSideOutput(QualityGate.OUTCOMES);
 * }</pre>
 *
 * <p>Rules see {@code now} as the operator's processing time. Rules are compiled once, in {@link
 * #open}. The gate keeps no state.
 */
public final class QualityGate<T extends SpecificRecord> extends ProcessFunction<T, T>
        implements ResultTypeQueryable<T> {

    private static final long serialVersionUID = 1L;

    /** Records refused by a DLQ rule, as dead letters with reason QUALITY_RULE_FAILED. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("quality-dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    /** One outcome per rule and record, for {@link QualityReportAggregator}. */
    public static final OutputTag<QualityOutcome> OUTCOMES =
            new OutputTag<>("quality-outcomes", TypeInformation.of(QualityOutcome.class));

    /** The field TAG results are written to when no {@link TagWriter} is given. */
    public static final String QUALITY_TAGS_FIELD = "quality_tags";

    /** Writes the names of the failed TAG rules into a record (replacing what it had). */
    @FunctionalInterface
    public interface TagWriter<T> extends Serializable {
        void write(T record, List<String> failedTagRules);
    }

    /** Turns a record into what a dead letter may keep of it, for example with PII tokenized. */
    @FunctionalInterface
    public interface DeadLetterValueMapper<T> extends Serializable {
        T map(T record);
    }

    private final Class<T> recordClass;
    private final RuleSet ruleSet;
    private final String sourceName;
    private final TagWriter<T> tagWriter;
    private DeadLetterValueMapper<T> deadLetterValueMapper = record -> record;

    private transient RuleEvaluator evaluator;
    private transient List<Rule> rules;
    private transient Counters[] counters;
    private transient int eventIdPos;
    private transient int timestampPos;
    private transient SpecificDatumWriter<T> datumWriter;
    private transient ByteArrayOutputStream buffer;
    private transient BinaryEncoder encoder;
    private transient List<String> failedTags;
    private transient List<Integer> failedDeadLetterRules;

    /**
     * A gate writing TAG results to the record's {@code quality_tags} field.
     *
     * @param recordClass the generated Avro class of the records
     * @param ruleSet the rules of that class's event type
     * @param sourceName where the records come from, usually their topic: it names the source in
     *     the report and is the dead letters' {@code source_topic}
     */
    public QualityGate(Class<T> recordClass, RuleSet ruleSet, String sourceName) {
        this(recordClass, ruleSet, sourceName, null);
    }

    /**
     * A gate writing TAG results with {@code tagWriter}, or to {@code quality_tags} when it is
     * null.
     */
    public QualityGate(
            Class<T> recordClass, RuleSet ruleSet, String sourceName, TagWriter<T> tagWriter) {
        this.recordClass = Objects.requireNonNull(recordClass, "recordClass");
        this.ruleSet = Objects.requireNonNull(ruleSet, "ruleSet");
        this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
        Schema schema = SpecificData.getForClass(recordClass).getSchema(recordClass);
        if (SchemaNormalization.parsingFingerprint64(schema)
                != SchemaNormalization.parsingFingerprint64(ruleSet.schema())) {
            throw new IllegalArgumentException(
                    ruleSet
                            + " was checked against another schema than "
                            + recordClass.getName()
                            + "'s");
        }
        Schema.Field tagsField = schema.getField(QUALITY_TAGS_FIELD);
        if (tagWriter == null && tagsField != null) {
            int pos = tagsField.pos();
            tagWriter = (record, tags) -> record.put(pos, tags);
        }
        if (tagWriter == null && ruleSet.rules().stream().anyMatch(r -> r.action() == Action.TAG)) {
            throw new IllegalArgumentException(
                    recordClass.getSimpleName()
                            + " has no "
                            + QUALITY_TAGS_FIELD
                            + " field for the TAG rules of "
                            + ruleSet
                            + "; give a TagWriter");
        }
        this.tagWriter = tagWriter;
    }

    /**
     * Maps each refused record before it is encoded into the dead letter's {@code original_value}
     * (for example to tokenize PII fields); the identity by default. Rules always see the record as
     * it came.
     */
    public QualityGate<T> withDeadLetterValueMapper(DeadLetterValueMapper<T> mapper) {
        this.deadLetterValueMapper = Objects.requireNonNull(mapper, "mapper");
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        evaluator = ruleSet.newEvaluator();
        rules = evaluator.rules();
        MetricGroup quality = getRuntimeContext().getMetricGroup().addGroup("quality");
        counters = new Counters[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            counters[i] = new Counters(quality.addGroup(rules.get(i).name()), rules.get(i));
        }
        Schema schema = ruleSet.schema();
        eventIdPos = position(schema, "event_id");
        timestampPos = position(schema, timestampField());
        datumWriter = new SpecificDatumWriter<>(recordClass);
        buffer = new ByteArrayOutputStream(512);
        failedTags = new ArrayList<>();
        failedDeadLetterRules = new ArrayList<>();
    }

    private String timestampField() {
        for (EventType type : EventType.values()) {
            if (type.recordClass() == recordClass) {
                return type.timestampField();
            }
        }
        return "timestamp";
    }

    private static int position(Schema schema, String field) {
        Schema.Field f = schema.getField(field);
        return f == null ? -1 : f.pos();
    }

    @Override
    public void processElement(T record, Context ctx, Collector<T> out) {
        long now = ctx.timerService().currentProcessingTime();
        evaluator.evaluate(record, Instant.ofEpochMilli(now));
        failedTags.clear();
        failedDeadLetterRules.clear();
        for (int i = 0; i < rules.size(); i++) {
            if (!evaluator.passed(i)) {
                switch (rules.get(i).action()) {
                    case DLQ -> failedDeadLetterRules.add(i);
                    case TAG -> failedTags.add(rules.get(i).name());
                    case NONE -> {}
                }
            }
        }
        boolean refused = !failedDeadLetterRules.isEmpty();
        long eventTime = eventTime(record, ctx, now);
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            QualityOutcome.Result result;
            if (evaluator.passed(i)) {
                result = QualityOutcome.Result.PASSED;
            } else if (rule.action() == Action.DLQ) {
                result = QualityOutcome.Result.DEAD_LETTERED;
            } else if (rule.action() == Action.TAG && !refused) {
                result = QualityOutcome.Result.TAGGED;
            } else {
                result = QualityOutcome.Result.FAILED;
            }
            counters[i].count(result);
            ctx.output(
                    OUTCOMES,
                    new QualityOutcome(
                            sourceName,
                            rule.name(),
                            rule.severity(),
                            rule.action(),
                            result,
                            1,
                            eventTime));
        }
        if (tagWriter != null) {
            // The field belongs to the ingest: whatever a producer put there is replaced.
            // A fresh list: downstream stages may add their own tags to it.
            tagWriter.write(record, new ArrayList<>(failedTags));
        }
        if (refused) {
            ctx.output(DEAD_LETTERS, deadLetter(record, ctx, eventTime, now));
        } else {
            out.collect(record);
        }
    }

    private long eventTime(T record, Context ctx, long now) {
        Long timestamp = ctx.timestamp();
        if (timestamp != null) {
            return timestamp;
        }
        Object value = timestampPos < 0 ? null : record.get(timestampPos);
        if (value instanceof Instant instant) {
            return instant.toEpochMilli();
        }
        if (value instanceof Long millis) {
            return millis;
        }
        return now;
    }

    private DeadLetter deadLetter(T record, Context ctx, long eventTime, long now) {
        StringBuilder message = new StringBuilder();
        List<String> names = new ArrayList<>(failedDeadLetterRules.size());
        message.append(ruleSet.eventTypeName());
        Object eventId = eventIdPos < 0 ? null : record.get(eventIdPos);
        if (eventId != null) {
            message.append(" event_id=").append(eventId);
        }
        message.append(" from ").append(sourceName).append(" failed ");
        for (int n = 0; n < failedDeadLetterRules.size(); n++) {
            int i = failedDeadLetterRules.get(n);
            Rule rule = rules.get(i);
            names.add(rule.name());
            if (n > 0) {
                message.append("; ");
            }
            message.append("rule ")
                    .append(rule.name())
                    .append(" (")
                    .append(rule.severity())
                    .append(", ")
                    .append(ruleSet.sourceName())
                    .append(") `")
                    .append(rule.expression())
                    .append("` with ")
                    .append(evaluator.involvedValues(i));
            String error = evaluator.error(i);
            if (error != null) {
                message.append(" [evaluation error: ").append(error).append(']');
            }
        }
        Long kafkaTimestamp = ctx.timestamp();
        return DeadLetter.newBuilder()
                .setSourceTopic(sourceName)
                // The Kafka coordinates are not known after decoding.
                .setSourcePartition(-1)
                .setSourceOffset(-1L)
                .setSourceTimestamp(
                        Instant.ofEpochMilli(kafkaTimestamp != null ? kafkaTimestamp : eventTime))
                .setDeadLetteredAt(Instant.ofEpochMilli(now))
                .setSchemaId(null)
                .setReason(DeadLetterReason.QUALITY_RULE_FAILED)
                .setRule(String.join(",", names))
                .setMessage(message.toString())
                .setOriginalKey(null)
                .setOriginalValue(ByteBuffer.wrap(encode(deadLetterValueMapper.map(record))))
                .build();
    }

    private byte[] encode(T record) {
        buffer.reset();
        encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
        try {
            datumWriter.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode " + recordClass.getSimpleName(), e);
        }
        return buffer.toByteArray();
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public TypeInformation<T> getProducedType() {
        // Generated classes extend SpecificRecordBase, which AvroTypeInfo requires.
        return (TypeInformation<T>)
                new AvroTypeInfo(recordClass.asSubclass(SpecificRecordBase.class));
    }

    /** The metrics of one rule. */
    private static final class Counters {
        private final Counter passed;
        private final Counter failed;
        private final Counter tagged;
        private final Counter deadLettered;

        Counters(MetricGroup group, Rule rule) {
            passed = group.counter("passed");
            failed = group.counter("failed");
            tagged = rule.action() == Action.TAG ? group.counter("tagged") : null;
            deadLettered = rule.action() == Action.DLQ ? group.counter("dead_lettered") : null;
        }

        void count(QualityOutcome.Result result) {
            switch (result) {
                case PASSED -> passed.inc();
                case FAILED -> failed.inc();
                case TAGGED -> {
                    failed.inc();
                    tagged.inc();
                }
                case DEAD_LETTERED -> {
                    failed.inc();
                    deadLettered.inc();
                }
            }
        }
    }
}
