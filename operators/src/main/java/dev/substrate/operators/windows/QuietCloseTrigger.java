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
 * end, as {@code EventTimeTrigger} does, or earlier, once event time has stood still and the input
 * has been quiet long enough ({@link QuietClock}); then the window is closed by quiet time, and a
 * later watermark does not fire it again.
 *
 * <p>Per window it keeps one {@code Long}: the processing time of its one pending quiet timer, or
 * {@link #CLOSED}. The timer is registered when the window gets its first input, on a grid of
 * {@code gridMillis}; when it fires before the window may close (the watermark or the input moved
 * meanwhile) it is moved to the earliest time the window could close. So a live window costs one
 * timer, the hot path one state read per input, and no timer is registered per input.
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
     * @param quietMillis how long the operator must have had no input
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
        this.gridMillis = Math.max(1, Math.min(stillMillis, quietMillis) / 4);
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
        Long current = state.value();
        if (current == null) {
            if (enabled()) {
                long at = closableAt();
                ctx.registerProcessingTimeTimer(at);
                state.update(at);
            }
            return TriggerResult.CONTINUE;
        }
        if (current == CLOSED) {
            if (revise) {
                return TriggerResult.FIRE;
            }
            lateCounter(ctx).inc(lateCount.apply(element));
            return TriggerResult.PURGE;
        }
        // A quiet timer is pending; when it fires it sees this input on the clock.
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
        long at = closableAt();
        if (at > time) {
            ctx.registerProcessingTimeTimer(at);
            state.update(at);
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

    /** The first grid time at which the clock allows a quiet close, if nothing moves before. */
    private long closableAt() {
        if (clock == null) {
            throw new IllegalStateException(
                    "QuietCloseTrigger runs only inside a QuietClosingWindowOperator");
        }
        long at = clock.quietFrom(stillMillis, quietMillis);
        long rest = Math.floorMod(at, gridMillis);
        return rest == 0 || at > Long.MAX_VALUE - gridMillis ? at : at + gridMillis - rest;
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
