package dev.substrate.operators.telemetry.windows;

import dev.substrate.operators.windows.QuietClosingWindowOperator;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Stamps a GPU window's bounds on its aggregate when the window fires. It sees only the one
 * pre-aggregated accumulator, never the readings.
 *
 * <p>The first firing goes to the main output. A window that fires again because a late reading
 * arrived within the allowed lateness emits the updated aggregate to {@link #UPDATES} instead, so
 * that rollups and longer windows built from the main output count each GPU window once. A window
 * fired before the watermark reached its end closed by quiet time, and says so ({@link
 * GpuWindowAccumulator#closedByQuietTime}).
 */
public class GpuWindowBoundsFunction
        extends ProcessWindowFunction<
                GpuWindowAccumulator, GpuWindowAccumulator, String, TimeWindow> {

    private static final long serialVersionUID = 1L;

    /** Re-fired windows, updated by late readings. */
    public static final OutputTag<GpuWindowAccumulator> UPDATES =
            new OutputTag<>("gpu-window-updates", GpuWindowAccumulatorTypeInfo.INSTANCE) {};

    private final ValueStateDescriptor<Boolean> fired =
            new ValueStateDescriptor<>("fired", Types.BOOLEAN);

    @Override
    public void process(
            String gpuUuid,
            Context context,
            Iterable<GpuWindowAccumulator> aggregates,
            Collector<GpuWindowAccumulator> out)
            throws Exception {
        TimeWindow window = context.window();
        ValueState<Boolean> firedBefore = context.windowState().getState(fired);
        boolean update = firedBefore.value() != null;
        boolean quiet =
                QuietClosingWindowOperator.closedByQuietTime(context.currentWatermark(), window);
        for (GpuWindowAccumulator acc : aggregates) {
            acc.windowStart = window.getStart();
            acc.windowEnd = window.getEnd();
            acc.closedByQuietTime = quiet;
            if (update) {
                context.output(UPDATES, acc);
            } else {
                out.collect(acc);
            }
        }
        if (!update) {
            firedBefore.update(Boolean.TRUE);
        }
    }

    @Override
    public void clear(Context context) {
        context.windowState().getState(fired).clear();
    }
}
