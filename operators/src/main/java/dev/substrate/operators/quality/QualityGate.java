package dev.substrate.operators.quality;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Applies the quality rules of one event type to every record: a record failing any {@link
 * Action#DLQ} rule goes to {@link #DEAD_LETTERS}; otherwise it goes on, without its provenance,
 * with the names of the failed {@link Action#TAG} rules in its {@code quality_tags}. Every record's
 * verdict, the bitmask of the rules it failed, goes to {@link #VERDICTS} for the quality report
 * ({@link QualityReportAggregator}); every rule counts into the metrics {@code
 * quality.<rule>.passed|failed|tagged|dead_lettered}.
 *
 * <p>A refused record's dead letter is as replayable as a decoder's: its Kafka partition, offset
 * and timestamp, schema id, and original key, value (the wire-format frame) and headers come from
 * the record's {@link Sourced} provenance.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<GpuSample> kept =
 *     sourcedSamples.process(new QualityGate<>(GpuSample.class, RuleSet.load("GpuSample"),
 *             EventType.GPU_SAMPLE.topic()))
 *         .uid("quality-gpu-samples");
 * DataStream<DeadLetter> refused = kept.getSideOutput(QualityGate.DEAD_LETTERS);
 * DataStream<Long> verdicts = kept.getSideOutput(QualityGate.VERDICTS);
 * }</pre>
 *
 * <p>Rules see {@code now} as the operator's processing time. Rules are compiled once, in {@link
 * #open}. The gate keeps no state. Per record it allocates nothing for the report: a record that
 * passes every rule sends the cached {@code Long} 0, and only failures touch per-rule counters.
 */
public final class QualityGate<T extends SpecificRecord>
        extends ProcessFunction<Sourced<T>, Sourced<T>> implements ResultTypeQueryable<Sourced<T>> {

    private static final long serialVersionUID = 1L;

    /** Records refused by a DLQ rule, as dead letters with reason QUALITY_RULE_FAILED. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("quality-dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    /**
     * One verdict per record, with the record's timestamp: bit {@code i} is set when rule {@code i}
     * (in file order) failed, 0 when all passed. For {@link QualityReportAggregator}.
     */
    public static final OutputTag<Long> VERDICTS = new OutputTag<>("quality-verdicts", Types.LONG);

    /** The most rules one gate applies: one bit of a verdict each. */
    public static final int MAX_RULES = Long.SIZE;

    private static final Long ALL_PASSED = 0L;

    /** The field TAG results are written to when no {@link TagWriter} is given. */
    public static final String QUALITY_TAGS_FIELD = "quality_tags";

    /** Writes the names of the failed TAG rules into a record (replacing what it had). */
    @FunctionalInterface
    public interface TagWriter<T> extends Serializable {
        void write(T record, List<String> failedTagRules);
    }

    private final Class<T> recordClass;
    private final RuleSet ruleSet;
    private final String sourceName;
    private final TagWriter<T> tagWriter;

    private transient RuleEvaluator evaluator;
    private transient List<Rule> rules;
    private transient Counters[] counters;
    private transient Counter evaluated;
    private transient int eventIdPos;
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
        if (ruleSet.rules().size() > MAX_RULES) {
            throw new IllegalArgumentException(
                    ruleSet
                            + " has "
                            + ruleSet.rules().size()
                            + " rules; a gate applies at most "
                            + MAX_RULES
                            + ": split them over two gates");
        }
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

    @Override
    public void open(OpenContext openContext) {
        evaluator = ruleSet.newEvaluator();
        rules = evaluator.rules();
        MetricGroup quality = getRuntimeContext().getMetricGroup().addGroup("quality");
        evaluated = quality.counter("evaluated");
        counters = new Counters[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            counters[i] =
                    new Counters(quality.addGroup(rules.get(i).name()), rules.get(i), evaluated);
        }
        Schema schema = ruleSet.schema();
        eventIdPos = position(schema, "event_id");
        failedTags = new ArrayList<>();
        failedDeadLetterRules = new ArrayList<>();
    }

    private static int position(Schema schema, String field) {
        Schema.Field f = schema.getField(field);
        return f == null ? -1 : f.pos();
    }

    @Override
    public void processElement(Sourced<T> sourced, Context ctx, Collector<Sourced<T>> out) {
        T record = sourced.record();
        long now = ctx.timerService().currentProcessingTime();
        int failures = evaluator.evaluate(record, now);
        evaluated.inc();
        if (failures == 0) {
            // The common case: no per-rule work, no allocation for the report.
            if (tagWriter != null) {
                tagWriter.write(record, new ArrayList<>(0));
            }
            ctx.output(VERDICTS, ALL_PASSED);
            out.collect(sourced);
            return;
        }
        failedTags.clear();
        failedDeadLetterRules.clear();
        long failedRules = 0;
        for (int i = 0; i < rules.size(); i++) {
            if (!evaluator.passed(i)) {
                failedRules |= 1L << i;
                switch (rules.get(i).action()) {
                    case DLQ -> failedDeadLetterRules.add(i);
                    case TAG -> failedTags.add(rules.get(i).name());
                    case NONE -> {}
                }
            }
        }
        boolean refused = !failedDeadLetterRules.isEmpty();
        for (int i = 0; i < rules.size(); i++) {
            if ((failedRules & (1L << i)) != 0) {
                counters[i].countFailure(refused);
            }
        }
        ctx.output(VERDICTS, failedRules);
        if (tagWriter != null) {
            // The field belongs to the ingest: whatever a producer put there is replaced.
            // A fresh list: downstream stages may add their own tags to it.
            tagWriter.write(record, new ArrayList<>(failedTags));
        }
        if (refused) {
            ctx.output(DEAD_LETTERS, deadLetter(sourced, now));
        } else {
            out.collect(sourced);
        }
    }

    /** Where the records come from, as given: names the source in the report. */
    public String sourceName() {
        return sourceName;
    }

    /** The rules, in the order of the verdicts' bits. */
    public RuleSet ruleSet() {
        return ruleSet;
    }

    private DeadLetter deadLetter(Sourced<T> sourced, long now) {
        T record = sourced.record();
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
        if (sourced.replayOf() != null) {
            message.append(" (a replay of ").append(sourced.replayOf()).append(')');
        }
        return sourced.deadLetter(sourceName)
                .setDeadLetteredAt(Instant.ofEpochMilli(now))
                .setReason(DeadLetterReason.QUALITY_RULE_FAILED)
                .setRule(String.join(",", names))
                .setMessage(message.toString())
                .build();
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public TypeInformation<Sourced<T>> getProducedType() {
        // Generated classes extend SpecificRecordBase, which AvroTypeInfo requires.
        return new SourcedTypeInfo<>(
                (TypeInformation<T>)
                        new AvroTypeInfo(recordClass.asSubclass(SpecificRecordBase.class)));
    }

    /**
     * The metrics of one rule. Only failures are counted per rule; {@code passed} is the gate's
     * evaluated count minus the rule's failures, so a passing rule costs nothing per record.
     */
    private static final class Counters {
        private final Counter failed;
        private final Counter tagged;
        private final Counter deadLettered;
        private final Action action;

        Counters(MetricGroup group, Rule rule, Counter evaluated) {
            action = rule.action();
            failed = group.counter("failed");
            group.counter("passed", new DifferenceCounter(evaluated, failed));
            tagged = action == Action.TAG ? group.counter("tagged") : null;
            deadLettered = action == Action.DLQ ? group.counter("dead_lettered") : null;
        }

        /** The rule failed on a record; {@code refused} when a DLQ rule refused the record. */
        void countFailure(boolean refused) {
            failed.inc();
            if (action == Action.DLQ) {
                deadLettered.inc();
            } else if (action == Action.TAG && !refused) {
                tagged.inc();
            }
        }
    }

    /** A read-only counter: one counter's count minus another's. */
    private static final class DifferenceCounter implements Counter {
        private final Counter minuend;
        private final Counter subtrahend;

        DifferenceCounter(Counter minuend, Counter subtrahend) {
            this.minuend = minuend;
            this.subtrahend = subtrahend;
        }

        @Override
        public long getCount() {
            return minuend.getCount() - subtrahend.getCount();
        }

        @Override
        public void inc() {
            throw new UnsupportedOperationException("derived counter");
        }

        @Override
        public void inc(long n) {
            throw new UnsupportedOperationException("derived counter");
        }

        @Override
        public void dec() {
            throw new UnsupportedOperationException("derived counter");
        }

        @Override
        public void dec(long n) {
            throw new UnsupportedOperationException("derived counter");
        }
    }
}
