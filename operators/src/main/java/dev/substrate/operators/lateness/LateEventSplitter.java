package dev.substrate.operators.lateness;

import dev.substrate.events.LateEvent;
import dev.substrate.operators.pii.PiiFields;
import dev.substrate.operators.pii.PiiKeySource;
import dev.substrate.operators.pii.PiiTokenizer;
import dev.substrate.operators.pii.RecordTokenizer;
import dev.substrate.schemas.wire.Sourced;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serial;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.avro.Schema;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits off records that arrive behind the event-time watermark by more than the allowed lateness:
 * they go to the side output {@link #LATE_EVENTS} as {@link LateEvent}s (how late, the watermark
 * then, and the whole record as Avro JSON with its PII fields tokenized), everything else passes
 * on. Lateness is a decision here, never an accident: nothing late is dropped.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<Sourced<GpuSample>> onTime = samples
 *         .process(new LateEventSplitter<>(GpuSample.class, topic, Duration.ofMinutes(1), keys))
 *         .returns(samples.getType());
 * DataStream<LateEvent> late = onTime.getSideOutput(LateEventSplitter.LATE_EVENTS);
 * }</pre>
 *
 * <p>A record without a timestamp, or seen before the first watermark, is never late. Nor is a
 * replayed dead letter ({@link Sourced#replayOf()}): it was read on time once, was refused, and is
 * re-admitted on purpose, with its original event time, after the cause was fixed.
 */
public class LateEventSplitter<T extends SpecificRecordBase>
        extends ProcessFunction<Sourced<T>, Sourced<T>> {

    @Serial private static final long serialVersionUID = 1L;

    /** Side output of the records judged late. */
    public static final OutputTag<LateEvent> LATE_EVENTS =
            new OutputTag<>("late-events", new AvroTypeInfo<>(LateEvent.class));

    /** Counter of records judged late. */
    public static final String METRIC_LATE = "lateEvents";

    private final Class<T> recordClass;
    private final String sourceTopic;
    private final long allowedLatenessMs;
    @Nullable private final PiiKeySource piiKeys;

    private transient Schema schema;
    private transient SpecificData model;
    private transient SpecificDatumWriter<T> jsonWriter;
    private transient RecordTokenizer tokenizer;
    private transient int eventIdPos;
    private transient Counter late;

    /**
     * @param piiKeys the PII key, needed when {@code recordClass} has PII fields (they are
     *     tokenized before the record is written to {@code late_events}); may be null otherwise
     */
    public LateEventSplitter(
            Class<T> recordClass,
            String sourceTopic,
            Duration allowedLateness,
            @Nullable PiiKeySource piiKeys) {
        this.recordClass = Objects.requireNonNull(recordClass, "recordClass");
        this.sourceTopic = Objects.requireNonNull(sourceTopic, "sourceTopic");
        if (allowedLateness.isNegative()) {
            throw new IllegalArgumentException(
                    "allowed lateness must not be negative: " + allowedLateness);
        }
        this.allowedLatenessMs = allowedLateness.toMillis();
        this.piiKeys = piiKeys;
        Schema s = SpecificData.getForClass(recordClass).getSchema(recordClass);
        if (s.getField("event_id") == null) {
            throw new IllegalArgumentException(s.getFullName() + " has no event_id field");
        }
        if (PiiFields.hasPii(s) && piiKeys == null) {
            throw new IllegalArgumentException(
                    s.getFullName() + " has PII fields: a PII key source is required");
        }
    }

    @Override
    public void open(OpenContext context) {
        model = SpecificData.getForClass(recordClass);
        schema = model.getSchema(recordClass);
        jsonWriter = new SpecificDatumWriter<>(schema, model);
        eventIdPos = schema.getField("event_id").pos();
        List<String> pii = PiiFields.of(schema);
        tokenizer =
                pii.isEmpty()
                        ? null
                        : new RecordTokenizer(
                                schema, pii, new PiiTokenizer(piiKeys.load(System.getenv())));
        late = getRuntimeContext().getMetricGroup().counter(METRIC_LATE);
    }

    @Override
    public void processElement(Sourced<T> sourced, Context ctx, Collector<Sourced<T>> out)
            throws IOException {
        Long eventTime = ctx.timestamp();
        long watermark = ctx.timerService().currentWatermark();
        if (eventTime == null
                || watermark == Long.MIN_VALUE
                || watermark - eventTime <= allowedLatenessMs
                || sourced.replayOf() != null) {
            out.collect(sourced);
            return;
        }
        T record = sourced.record();
        late.inc();
        ctx.output(
                LATE_EVENTS,
                LateEvent.newBuilder()
                        .setSourceTopic(sourceTopic)
                        .setEventId(String.valueOf(record.get(eventIdPos)))
                        .setEventTime(Instant.ofEpochMilli(eventTime))
                        .setWatermark(Instant.ofEpochMilli(watermark))
                        .setLatenessMs(watermark - eventTime)
                        .setAllowedLatenessMs(allowedLatenessMs)
                        .setDetectedAt(
                                Instant.ofEpochMilli(ctx.timerService().currentProcessingTime()))
                        .setRecordSchema(schema.getFullName())
                        .setRecordJson(json(record))
                        .build());
    }

    private String json(T record) throws IOException {
        T redacted = record;
        if (tokenizer != null) {
            redacted = model.deepCopy(schema, record);
            tokenizer.tokenize(redacted, null);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        JsonEncoder encoder = EncoderFactory.get().jsonEncoder(schema, out);
        jsonWriter.write(redacted, encoder);
        encoder.flush();
        return out.toString(StandardCharsets.UTF_8);
    }
}
