package dev.substrate.operators.windows;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;
import org.apache.flink.util.OutputTag;

/**
 * The local half of a two-phase window aggregation, chained to its input: it aggregates each key's
 * inputs of each tumbling event-time window in memory and sends one partial per key and window
 * downstream instead of every input, where a keyed window merges the partials (the plan Flink SQL
 * uses for window aggregates). With 10,000 GPUs read once a second this ships 10,000 partials a
 * minute instead of 600,000 readings through the shuffle; the quality report ships one partial per
 * source instead of one outcome per rule and record.
 *
 * <p>It keeps no state: partials are sent when the watermark passes their window and before every
 * checkpoint barrier ({@link #prepareSnapshotPreBarrier}) and at the end of input, so the
 * downstream window may merge several partials of one key and window, in time order. An input whose
 * window this subtask's watermark has passed by more than the allowed lateness goes to {@code
 * lateOutput} unchanged, as a window operator would send it; one within the allowed lateness starts
 * a new partial of its window, sent at the next watermark, so a downstream window with the same
 * allowed lateness updates the window it already fired. Partials carry timestamp {@code end - 1}.
 * Inputs need timestamps (assign them before), as any event-time window does.
 *
 * <p>With {@link #withStallFlush} the partials are also sent when this subtask's watermark has not
 * moved for a whole period of processing time: when the input goes quiet, the watermark stops and
 * the partials would otherwise wait for the next checkpoint (or forever, without checkpoints),
 * while a downstream {@link QuietClosingWindowOperator} waits for them to close its windows. One
 * processing-time timer per period runs while partials are held, none otherwise, and none is set
 * per input.
 */
public final class LocalWindowPreAggregator<IN, ACC extends WindowPartial>
        extends AbstractStreamOperator<ACC> implements OneInputStreamOperator<IN, ACC> {

    private static final long serialVersionUID = 1L;

    private final AggregateFunction<IN, ACC, ?> aggregate;
    private final KeySelector<IN, String> keySelector;
    private final long windowMillis;
    private final OutputTag<IN> lateOutput;
    private final long allowedLatenessMillis;
    private final long stallFlushMillis;

    /** Open windows by start, each with its keys' partials; usually one or two windows. */
    private transient Map<Long, Map<String, ACC>> windows;

    private transient long lastStart;
    private transient Map<String, ACC> lastWindow;
    private transient StreamRecord<ACC> reuse;

    /** The last watermark received: this subtask's event time. */
    private transient long lastWatermark;

    /** Whether a stall check is scheduled, and the watermark when it was. */
    private transient boolean stallCheckPending;

    private transient long watermarkAtStallCheck;

    /** A pre-aggregator without allowed lateness: behind the watermark is late. */
    public LocalWindowPreAggregator(
            AggregateFunction<IN, ACC, ?> aggregate,
            KeySelector<IN, String> keySelector,
            long windowMillis,
            OutputTag<IN> lateOutput) {
        this(aggregate, keySelector, windowMillis, lateOutput, 0L);
    }

    /**
     * @param allowedLatenessMillis how far this subtask's watermark may have passed a window's last
     *     millisecond and an input still counts in a (new) partial of it; {@code Long.MAX_VALUE}
     *     sends nothing to {@code lateOutput} and leaves lateness to the downstream window
     */
    public LocalWindowPreAggregator(
            AggregateFunction<IN, ACC, ?> aggregate,
            KeySelector<IN, String> keySelector,
            long windowMillis,
            OutputTag<IN> lateOutput,
            long allowedLatenessMillis) {
        this(aggregate, keySelector, windowMillis, lateOutput, allowedLatenessMillis, 0L);
    }

    private LocalWindowPreAggregator(
            AggregateFunction<IN, ACC, ?> aggregate,
            KeySelector<IN, String> keySelector,
            long windowMillis,
            OutputTag<IN> lateOutput,
            long allowedLatenessMillis,
            long stallFlushMillis) {
        if (windowMillis <= 0) {
            throw new IllegalArgumentException("window must be positive: " + windowMillis);
        }
        if (allowedLatenessMillis < 0) {
            throw new IllegalArgumentException(
                    "allowed lateness must not be negative: " + allowedLatenessMillis);
        }
        this.aggregate = aggregate;
        this.keySelector = keySelector;
        this.windowMillis = windowMillis;
        this.lateOutput = lateOutput;
        if (stallFlushMillis < 0) {
            throw new IllegalArgumentException(
                    "stall flush period must not be negative: " + stallFlushMillis);
        }
        this.allowedLatenessMillis = allowedLatenessMillis;
        this.stallFlushMillis = stallFlushMillis;
    }

    /**
     * This pre-aggregator, also sending its partials when the watermark has not moved for {@code
     * period} (see the class comment); zero never does.
     */
    public LocalWindowPreAggregator<IN, ACC> withStallFlush(Duration period) {
        return new LocalWindowPreAggregator<>(
                aggregate,
                keySelector,
                windowMillis,
                lateOutput,
                allowedLatenessMillis,
                period.toMillis());
    }

    @Override
    public void open() throws Exception {
        super.open();
        windows = new HashMap<>();
        lastStart = Long.MIN_VALUE;
        reuse = new StreamRecord<>(null);
        lastWatermark = Long.MIN_VALUE;
        stallCheckPending = false;
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        long ts = InputTimestamps.of(element, getOperatorName());
        long start = ts - Math.floorMod(ts, windowMillis);
        long maxTimestamp = start + windowMillis - 1;
        if (maxTimestamp <= lastWatermark && isLate(maxTimestamp)) {
            output.collect(lateOutput, element);
            return;
        }
        Map<String, ACC> window;
        if (start == lastStart) {
            window = lastWindow;
        } else {
            window = windows.get(start);
            if (window == null) {
                if (windows.isEmpty()) {
                    scheduleStallCheck();
                }
                window = new HashMap<>();
                windows.put(start, window);
            }
            lastStart = start;
            lastWindow = window;
        }
        IN value = element.getValue();
        String key = keySelector.getKey(value);
        ACC acc = window.get(key);
        if (acc == null) {
            acc = aggregate.createAccumulator();
            window.put(key, acc);
        }
        ACC updated = aggregate.add(value, acc);
        if (updated != acc) {
            window.put(key, updated);
        }
    }

    /** Whether the watermark passed {@code maxTimestamp} by more than the allowed lateness. */
    private boolean isLate(long maxTimestamp) {
        // Written as a difference, so that Long.MAX_VALUE lateness cannot overflow.
        return allowedLatenessMillis != Long.MAX_VALUE
                && lastWatermark - maxTimestamp >= allowedLatenessMillis;
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        lastWatermark = mark.getTimestamp();
        flush(mark.getTimestamp());
        super.processWatermark(mark);
    }

    private void scheduleStallCheck() {
        if (stallFlushMillis == 0 || stallCheckPending) {
            return;
        }
        stallCheckPending = true;
        watermarkAtStallCheck = lastWatermark;
        ProcessingTimeService time = getProcessingTimeService();
        time.registerTimer(time.getCurrentProcessingTime() + stallFlushMillis, this::checkStall);
    }

    /** Sends every partial if the watermark stood still since the check was scheduled. */
    private void checkStall(long time) {
        stallCheckPending = false;
        if (windows.isEmpty()) {
            return;
        }
        if (lastWatermark == watermarkAtStallCheck) {
            flush(Long.MAX_VALUE);
        } else {
            scheduleStallCheck();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush(Long.MAX_VALUE);
    }

    @Override
    public void finish() throws Exception {
        flush(Long.MAX_VALUE);
        super.finish();
    }

    /** Sends the partials of every window that ends at or before {@code watermark}. */
    private void flush(long watermark) {
        Iterator<Map.Entry<Long, Map<String, ACC>>> it = windows.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Map<String, ACC>> entry = it.next();
            long start = entry.getKey();
            long end = start + windowMillis;
            if (watermark != Long.MAX_VALUE && end - 1 > watermark) {
                continue;
            }
            for (Map.Entry<String, ACC> partial : entry.getValue().entrySet()) {
                ACC acc = partial.getValue();
                acc.stamp(partial.getKey(), start, end);
                output.collect(reuse.replace(acc, end - 1));
            }
            it.remove();
            if (start == lastStart) {
                lastStart = Long.MIN_VALUE;
                lastWindow = null;
            }
        }
    }
}
