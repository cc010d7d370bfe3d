package dev.substrate.operators.windows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.TupleTypeInfo;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;

/**
 * Puts each key's inputs in event-time order: a keyed operator that holds every input in keyed
 * state until the watermark passes its timestamp, then emits them in timestamp order (the per-key
 * event-time sort of Flink SQL's {@code ORDER BY rowtime}). Operators chained behind it see each
 * key's inputs in time order however the shuffle in front interleaved them, which is what integrals
 * over consecutive inputs (energy, the throttle shares) need to be exact.
 *
 * <p>Each key holds a list of its inputs with their timestamps and one event-time timer, at the
 * earliest of them: when the watermark reaches it, every held input the watermark has passed
 * leaves, sorted (inputs with the same timestamp in arrival order, each with its own timestamp),
 * and the timer moves to the earliest input still held. So a timer fires per key and watermark
 * step, not per input. An input the watermark has already passed cannot be put in order any more:
 * it leaves at once, unchanged, and the operators behind treat it as late as they would without the
 * sort. Watermarks pass on after the inputs they release. The held inputs are keyed state, so they
 * are in checkpoints and savepoints (give the operator a stable uid). It keeps its inputs by
 * reference, so put it right behind a keyBy, where each input arrives deserialized as its own
 * object, also with object reuse on.
 *
 * <p>With {@link #withStallFlush} the held inputs also leave, each key's in order, when for a whole
 * period of processing time neither the watermark moved nor an input arrived: when every source has
 * stopped, the watermark stands still and would hold the last readings back forever, while windows
 * behind (a {@link QuietClosingWindowOperator}) wait for them to close by quiet time. Requiring the
 * input to be quiet too keeps the order exact while inputs still flow behind a stuck watermark. An
 * input older than one already released by a stall leaves out of order; only an input that arrives
 * after a whole stall period of silence can be that. One processing-time timer per period runs
 * while inputs arrive, none once a stall has been flushed.
 */
public final class EventTimeSorter<T> extends AbstractStreamOperator<T>
        implements OneInputStreamOperator<T, T>, Triggerable<Object, VoidNamespace> {

    private static final long serialVersionUID = 1L;

    private static final String HELD_STATE = "held";

    private static final Comparator<Tuple2<Long, ?>> BY_TIMESTAMP =
            Comparator.comparingLong(held -> held.f0);

    private final TypeInformation<T> type;
    private final long stallFlushMillis;

    /** The inputs a key holds, with their timestamps, in arrival order. */
    private transient ListState<Tuple2<Long, T>> held;

    /** The key's pending event-time timer: at or before its earliest held input. */
    private transient ValueState<Long> timer;

    private transient InternalTimerService<VoidNamespace> timers;
    private transient StreamRecord<T> reuse;

    /** Inputs seen and the last watermark, and their values when the stall check was scheduled. */
    private transient long inputs;

    private transient long lastWatermark;
    private transient boolean stallCheckPending;
    private transient long inputsAtStallCheck;
    private transient long watermarkAtStallCheck;

    /** A sorter of inputs of {@code type} that waits for the watermark alone. */
    public EventTimeSorter(TypeInformation<T> type) {
        this(type, 0L);
    }

    private EventTimeSorter(TypeInformation<T> type, long stallFlushMillis) {
        if (stallFlushMillis < 0) {
            throw new IllegalArgumentException(
                    "stall flush period must not be negative: " + stallFlushMillis);
        }
        this.type = type;
        this.stallFlushMillis = stallFlushMillis;
    }

    /**
     * This sorter, also releasing what it holds when neither the watermark nor the input moved for
     * {@code period} (see the class comment); zero never does.
     */
    public EventTimeSorter<T> withStallFlush(Duration period) {
        return new EventTimeSorter<>(type, period.toMillis());
    }

    @Override
    public void open() throws Exception {
        super.open();
        held =
                getRuntimeContext()
                        .getListState(
                                new ListStateDescriptor<>(
                                        HELD_STATE, new TupleTypeInfo<>(Types.LONG, type)));
        timer =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>("next-release", Types.LONG));
        timers =
                getInternalTimerService("event-time-order", VoidNamespaceSerializer.INSTANCE, this);
        reuse = new StreamRecord<>(null);
        inputs = 0;
        lastWatermark = Long.MIN_VALUE;
        stallCheckPending = false;
        // Inputs restored from a checkpoint may wait for a stall as much as new ones.
        scheduleStallCheck();
    }

    @Override
    public void processElement(StreamRecord<T> element) throws Exception {
        long ts = InputTimestamps.of(element, getOperatorName());
        inputs++;
        scheduleStallCheck();
        if (ts <= timers.currentWatermark()) {
            output.collect(element);
            return;
        }
        held.add(Tuple2.of(ts, element.getValue()));
        Long next = timer.value();
        if (next == null || ts < next) {
            // A later timer left behind fires harmlessly: it releases what is due then.
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, ts);
            timer.update(ts);
        }
    }

    @Override
    public void onEventTime(InternalTimer<Object, VoidNamespace> fired) throws Exception {
        long watermark = timers.currentWatermark();
        List<Tuple2<Long, T>> due = new ArrayList<>();
        List<Tuple2<Long, T>> rest = new ArrayList<>();
        long earliestRest = Long.MAX_VALUE;
        Iterable<Tuple2<Long, T>> all = held.get();
        if (all != null) {
            for (Tuple2<Long, T> input : all) {
                if (input.f0 <= watermark) {
                    due.add(input);
                } else {
                    rest.add(input);
                    earliestRest = Math.min(earliestRest, input.f0);
                }
            }
        }
        if (due.isEmpty()) {
            return; // a timer left behind, or what it was for went in a stall flush
        }
        emitSorted(due);
        if (rest.isEmpty()) {
            held.clear();
            timer.clear();
        } else {
            held.update(rest);
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, earliestRest);
            timer.update(earliestRest);
        }
    }

    @Override
    public void onProcessingTime(InternalTimer<Object, VoidNamespace> fired) {
        // No keyed processing-time timers: the stall check is one timer per subtask.
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        lastWatermark = Math.max(lastWatermark, mark.getTimestamp());
        super.processWatermark(mark);
    }

    /** Emits {@code inputs} in timestamp order, equal timestamps in arrival order (stable sort). */
    private void emitSorted(List<Tuple2<Long, T>> inputs) {
        inputs.sort(BY_TIMESTAMP);
        for (Tuple2<Long, T> input : inputs) {
            output.collect(reuse.replace(input.f1, input.f0));
        }
    }

    private void scheduleStallCheck() {
        if (stallFlushMillis == 0 || stallCheckPending) {
            return;
        }
        stallCheckPending = true;
        inputsAtStallCheck = inputs;
        watermarkAtStallCheck = lastWatermark;
        ProcessingTimeService time = getProcessingTimeService();
        time.registerTimer(time.getCurrentProcessingTime() + stallFlushMillis, this::checkStall);
    }

    /** Releases everything held if neither input nor watermark moved since the check was set. */
    private void checkStall(long time) throws Exception {
        stallCheckPending = false;
        if (inputs != inputsAtStallCheck || lastWatermark != watermarkAtStallCheck) {
            scheduleStallCheck();
            return;
        }
        List<Object> keys;
        try (Stream<Object> all =
                getKeyedStateBackend().getKeys(HELD_STATE, VoidNamespace.INSTANCE)) {
            keys = all.collect(Collectors.toList());
        }
        for (Object key : keys) {
            setCurrentKey(key);
            List<Tuple2<Long, T>> all = new ArrayList<>();
            Iterable<Tuple2<Long, T>> inputs = held.get();
            if (inputs != null) {
                inputs.forEach(all::add);
            }
            emitSorted(all);
            // The key's event-time timer stays; it finds nothing when the watermark reaches it.
            held.clear();
            timer.clear();
        }
    }
}
