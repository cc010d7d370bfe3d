package dev.substrate.operators.dedup;

import dev.substrate.events.DuplicateEvent;
import dev.substrate.schemas.wire.Sourced;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serial;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Drops the second and later records with the same {@code event_id} seen within the horizon, and
 * records each of them in the side output {@link #DUPLICATES} (the {@code duplicate_events} table)
 * with whether its content equals the first one's: nothing disappears silently.
 *
 * <p>Keyed by event id ({@link EventIdSelector}). The state per id is a {@link FirstSeen} with a
 * processing-time TTL of the horizon, so memory is bounded by the ids seen in one horizon; an id
 * seen again after that is accepted again (the horizon is how long a redelivery is recognised).
 *
 * <pre>{@code
 * SingleOutputStreamOperator<Sourced<GpuSample>> unique = samples
 *         .keyBy(new EventIdSelector<>(), EventIdSelector.KEY_TYPE)
 *         .process(new EventDeduplicator<>(GpuSample.class, topic, Duration.ofHours(1)))
 *         .returns(samples.getType());
 * DataStream<DuplicateEvent> duplicates = unique.getSideOutput(EventDeduplicator.DUPLICATES);
 * }</pre>
 */
public class EventDeduplicator<T extends SpecificRecordBase>
        extends KeyedProcessFunction<Tuple2<Long, Long>, Sourced<T>, Sourced<T>> {

    @Serial private static final long serialVersionUID = 1L;

    /** Side output of the duplicates dropped from the main output. */
    public static final OutputTag<DuplicateEvent> DUPLICATES =
            new OutputTag<>("duplicates", new AvroTypeInfo<>(DuplicateEvent.class));

    /** Counter of duplicates dropped. */
    public static final String METRIC_DUPLICATES = "duplicates";

    private final Class<T> recordClass;
    private final String sourceTopic;
    private final Duration horizon;

    private transient ValueState<FirstSeen> firstSeen;
    private transient SpecificDatumWriter<T> writer;
    private transient ByteArrayOutputStream buffer;
    private transient BinaryEncoder encoder;
    private transient MessageDigest sha256;
    private transient Counter duplicates;
    private transient int eventIdPosition;

    public EventDeduplicator(Class<T> recordClass, String sourceTopic, Duration horizon) {
        this.recordClass = Objects.requireNonNull(recordClass, "recordClass");
        this.sourceTopic = Objects.requireNonNull(sourceTopic, "sourceTopic");
        if (horizon.isNegative() || horizon.isZero()) {
            throw new IllegalArgumentException("dedup horizon must be positive: " + horizon);
        }
        this.horizon = horizon;
    }

    /** The state descriptor, with its TTL (public for tests and state inspection). */
    public static ValueStateDescriptor<FirstSeen> stateDescriptor(Duration horizon) {
        ValueStateDescriptor<FirstSeen> descriptor =
                new ValueStateDescriptor<>("first-seen", TypeInformation.of(FirstSeen.class));
        descriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(horizon)
                        .updateTtlOnCreateAndWrite()
                        .neverReturnExpired()
                        // Heap state: expired entries are also purged on access and in
                        // snapshots, so an idle id does not stay in memory forever. RocksDB:
                        // compactions drop them. Each record accesses the state twice (read,
                        // then write) and each access checks 2 entries: the sweep passes over
                        // the whole map faster than records add to it, so an expired id stays
                        // at most about half a horizon more. Checking 10 per access cost 12% of
                        // the ingest chain's CPU (docs/BENCHMARKS.md).
                        .cleanupIncrementally(2, false)
                        .cleanupFullSnapshot()
                        .cleanupInRocksdbCompactFilter(1000)
                        .build());
        return descriptor;
    }

    @Override
    public void open(OpenContext context) throws NoSuchAlgorithmException {
        firstSeen = getRuntimeContext().getState(stateDescriptor(horizon));
        SpecificData model = SpecificData.getForClass(recordClass);
        Schema schema = model.getSchema(recordClass);
        eventIdPosition = schema.getField(EventIdSelector.FIELD).pos();
        writer = new SpecificDatumWriter<>(schema, model);
        buffer = new ByteArrayOutputStream(512);
        sha256 = MessageDigest.getInstance("SHA-256");
        duplicates = getRuntimeContext().getMetricGroup().counter(METRIC_DUPLICATES);
    }

    @Override
    public void processElement(Sourced<T> sourced, Context ctx, Collector<Sourced<T>> out)
            throws IOException {
        T record = sourced.record();
        byte[] content = serialize(record);
        // Every record's fingerprint is kept, so it must be cheap: a 64-bit Rabin fingerprint.
        // The SHA-256 shown in duplicate_events is computed for duplicates only.
        long fingerprint = SchemaNormalization.fingerprint64(content);
        long now = ctx.timerService().currentProcessingTime();
        FirstSeen first = firstSeen.value();
        if (first == null) {
            firstSeen.update(new FirstSeen(now, fingerprint));
            out.collect(sourced);
            return;
        }
        duplicates.inc();
        Long eventTime = ctx.timestamp();
        ctx.output(
                DUPLICATES,
                DuplicateEvent.newBuilder()
                        .setSourceTopic(sourceTopic)
                        .setEventId(String.valueOf(record.get(eventIdPosition)))
                        .setEventTime(Instant.ofEpochMilli(eventTime == null ? now : eventTime))
                        .setFirstSeenAt(Instant.ofEpochMilli(first.seenAtMillis))
                        .setDetectedAt(Instant.ofEpochMilli(now))
                        .setSameContent(first.fingerprint == fingerprint)
                        .setContentFingerprint(
                                HexFormat.of().formatHex(sha256.digest(content), 0, 16))
                        .build());
    }

    /** The record in Avro binary, the content both fingerprints are taken of. */
    private byte[] serialize(T record) throws IOException {
        buffer.reset();
        encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
        writer.write(record, encoder);
        encoder.flush();
        return buffer.toByteArray();
    }
}
