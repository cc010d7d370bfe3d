package dev.substrate.operators.windows;

import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.windowing.triggers.Trigger;
import org.apache.flink.streaming.api.windowing.triggers.TriggerResult;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.function.SerializableFunction;

/**
 * The trigger of a {@link QuietClosingWindowOperator}: fires a window when the watermark passes its
 * end, as {@code EventTimeTrigger} does, or earlier, once the subtask's event time has stood still
 * for {@code stillMillis} ({@link QuietClock}) and the window has had no input for {@code
 * quietMillis}; then the window is closed by quiet time, and a later watermark does not fire it
 * again.
 *
 * <p>Per window it keeps one {@code Long}: the processing time of its one pending quiet timer, or
 * {@link #CLOSED}. An input moves the timer to a quiet period after it, but only when that crosses
 * into the next cell of a grid of {@code min(stillMillis, quietMillis) / 16}, so a busy window
 * moves its timer a few times per quiet period, not per input; a timer that fires while event time
 * still moves is set again for the earliest time it could have stood still long enough. A live
 * window costs one timer, and an input one state read.
 *
 * <p>Inputs that reach a window after its quiet close either update it ({@code revise}: the window
 * fires again, as a window with allowed lateness does for a late input) or are counted in {@code
 * lateMetric} and dropped (purged: the window's contents were emitted already).
 */
final class QuietCloseTrigger<T> extends Trigger<T, TimeWindow> {

    private static final long serialVersionUID = 1L;

    /** The window's state once it has been closed by quiet time. */
    static final long CLOSED = Long.MIN_VALUE;

    private final long stillMillis;
    private final long quietMillis;
    private final long gridMillis;
    private final boolean revise;
    private final String lateMetric;
    private final SerializableFunction<T, Long> lateCount;

    private final ValueStateDescriptor<Long> stateDescriptor =
            new ValueStateDescriptor<>("quiet-close", Types.LONG);

    @Nullable private transient QuietClock clock;
    @Nullable private transient Counter late;

    /**
     * @param stillMillis how long event time must have stood still; 0 disables quiet closing
     * @param quietMillis how long the window must have had no input
     * @param revise whether inputs after a quiet close fire the window again (allowed lateness)
     * @param lateMetric the counter of inputs after a quiet close that are dropped
     * @param lateCount how much an input adds to {@code lateMetric} (e.g. its readings)
     */
    QuietCloseTrigger(
            long stillMillis,
            long quietMillis,
            boolean revise,
            String lateMetric,
            SerializableFunction<T, Long> lateCount) {
        if (stillMillis < 0 || quietMillis < 0) {
            throw new IllegalArgumentException(
                    "quiet periods must not be negative: " + stillMillis + ", " + quietMillis);
        }
        this.stillMillis = stillMillis;
        this.quietMillis = quietMillis;
        // A coarse grid: windows of one subtask that become closable together share timer times.
        this.gridMillis = Math.max(1, Math.min(stillMillis, quietMillis) / 16);
        this.revise = revise;
        this.lateMetric = Objects.requireNonNull(lateMetric, "lateMetric");
        this.lateCount = Objects.requireNonNull(lateCount, "lateCount");
    }

    /** Called by the operator when it opens, before any input or timer. */
    void attach(QuietClock clock) {
        this.clock = clock;
    }

    boolean enabled() {
        return stillMillis > 0;
    }

    @Override
    public TriggerResult onElement(T element, long timestamp, TimeWindow window, TriggerContext ctx)
            throws Exception {
        if (window.maxTimestamp() <= ctx.getCurrentWatermark()) {
            // Within the allowed lateness: fire the updated window, as EventTimeTrigger does.
            return TriggerResult.FIRE;
        }
        ctx.registerEventTimeTimer(window.maxTimestamp());
        ValueState<Long> state = ctx.getPartitionedState(stateDescriptor);
        Long pending = state.value();
        if (pending != null && pending == CLOSED) {
            if (revise) {
                return TriggerResult.FIRE;
            }
            lateCounter(ctx).inc(lateCount.apply(element));
            return TriggerResult.PURGE;
        }
        if (enabled()) {
            long quietFrom = onGrid(saturatedAdd(ctx.getCurrentProcessingTime(), quietMillis));
            if (pending == null || pending < quietFrom) {
                if (pending != null) {
                    ctx.deleteProcessingTimeTimer(pending);
                }
                ctx.registerProcessingTimeTimer(quietFrom);
                state.update(quietFrom);
            }
        }
        return TriggerResult.CONTINUE;
    }

    @Override
    public TriggerResult onProcessingTime(long time, TimeWindow window, TriggerContext ctx)
            throws Exception {
        ValueState<Long> state = ctx.getPartitionedState(stateDescriptor);
        Long pending = state.value();
        if (pending == null || pending != time) {
            return TriggerResult.CONTINUE; // closed already, or a timer the window moved on from
        }
        if (!enabled() || ctx.getCurrentWatermark() >= window.maxTimestamp()) {
            // Switched off since the timer was set, or the watermark has closed the window.
            state.clear();
            return TriggerResult.CONTINUE;
        }
        // Every input moved the timer to at least a quiet period after it: the window has been
        // quiet long enough. Has event time stood still long enough too?
        long stillFrom = onGrid(clock().stillFor(stillMillis));
        if (stillFrom > time) {
            ctx.registerProcessingTimeTimer(stillFrom);
            state.update(stillFrom);
            return TriggerResult.CONTINUE;
        }
        state.update(CLOSED);
        // Without revisions the contents are not needed any more: free them now, not when the
        // watermark finally passes (which may be never).
        return revise ? TriggerResult.FIRE : TriggerResult.FIRE_AND_PURGE;
    }

    @Override
    public TriggerResult onEventTime(long time, TimeWindow window, TriggerContext ctx)
            throws Exception {
        if (time != window.maxTimestamp()) {
            return TriggerResult.CONTINUE;
        }
        Long current = ctx.getPartitionedState(stateDescriptor).value();
        // A window closed by quiet time was emitted then (and again for each update since).
        return current != null && current == CLOSED ? TriggerResult.CONTINUE : TriggerResult.FIRE;
    }

    @Override
    public void clear(TimeWindow window, TriggerContext ctx) throws Exception {
        ctx.deleteEventTimeTimer(window.maxTimestamp());
        ValueState<Long> state = ctx.getPartitionedState(stateDescriptor);
        Long current = state.value();
        if (current != null && current != CLOSED) {
            ctx.deleteProcessingTimeTimer(current);
        }
        state.clear();
    }

    private QuietClock clock() {
        if (clock == null) {
            throw new IllegalStateException(
                    "QuietCloseTrigger runs only inside a QuietClosingWindowOperator");
        }
        return clock;
    }

    /** {@code time} rounded up to the grid. */
    private long onGrid(long time) {
        long rest = Math.floorMod(time, gridMillis);
        return rest == 0 || time > Long.MAX_VALUE - gridMillis ? time : time + gridMillis - rest;
    }

    private static long saturatedAdd(long time, long millis) {
        long sum = time + millis;
        return sum < time ? Long.MAX_VALUE : sum;
    }

    private Counter lateCounter(TriggerContext ctx) {
        if (late == null) {
            late = ctx.getMetricGroup().counter(lateMetric);
        }
        return late;
    }

    @Override
    public String toString() {
        return "QuietCloseTrigger(still=" + stillMillis + " ms, quiet=" + quietMillis + " ms)";
    }
}
