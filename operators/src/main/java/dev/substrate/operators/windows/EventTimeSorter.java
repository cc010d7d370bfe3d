package dev.substrate.operators.windows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
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
 * <p>One event-time timer per key and distinct timestamp; inputs with the same timestamp leave in
 * arrival order, with their own timestamp. An input the watermark has already passed cannot be put
 * in order any more: it leaves at once, unchanged, and the operators behind treat it as late as
 * they would without the sort. Watermarks pass on after the inputs they release. The held inputs
 * are keyed state, so they are in checkpoints and savepoints (give the operator a stable uid).
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

    private static final String HELD_STATE = "held-by-timestamp";

    private final TypeInformation<T> type;
    private final long stallFlushMillis;

    private transient MapState<Long, List<T>> held;
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
                        .getMapState(
                                new MapStateDescriptor<>(HELD_STATE, Types.LONG, Types.LIST(type)));
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
        if (!element.hasTimestamp()) {
            throw new IllegalStateException(
                    "An input of "
                            + getOperatorName()
                            + " has no timestamp: assign timestamps and watermarks before it");
        }
        inputs++;
        scheduleStallCheck();
        long ts = element.getTimestamp();
        if (ts <= timers.currentWatermark()) {
            output.collect(element);
            return;
        }
        List<T> atTs = held.get(ts);
        if (atTs == null) {
            atTs = new ArrayList<>(1);
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, ts);
        }
        atTs.add(element.getValue());
        held.put(ts, atTs);
    }

    @Override
    public void onEventTime(InternalTimer<Object, VoidNamespace> timer) throws Exception {
        long ts = timer.getTimestamp();
        List<T> atTs = held.get(ts);
        if (atTs == null) {
            return; // released by a stall flush
        }
        emit(ts, atTs);
        held.remove(ts);
    }

    @Override
    public void onProcessingTime(InternalTimer<Object, VoidNamespace> timer) {
        // No keyed processing-time timers: the stall check is one timer per subtask.
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        lastWatermark = Math.max(lastWatermark, mark.getTimestamp());
        super.processWatermark(mark);
    }

    private void emit(long ts, List<T> values) {
        for (T value : values) {
            output.collect(reuse.replace(value, ts));
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
            List<Map.Entry<Long, List<T>>> entries = new ArrayList<>();
            for (Map.Entry<Long, List<T>> entry : held.entries()) {
                entries.add(Map.entry(entry.getKey(), entry.getValue()));
            }
            entries.sort(Map.Entry.comparingByKey());
            for (Map.Entry<Long, List<T>> entry : entries) {
                emit(entry.getKey(), entry.getValue());
            }
            // The event-time timers stay; they find nothing when the watermark reaches them.
            held.clear();
        }
    }
}
