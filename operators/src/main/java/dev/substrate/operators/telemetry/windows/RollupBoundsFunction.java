package dev.substrate.operators.telemetry.windows;

import dev.substrate.operators.windows.QuietClosingWindowOperator;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Stamps how a node or cluster rollup window closed on its aggregate when it fires: by the
 * watermark, or by quiet time. It sees only the one aggregate, never the GPU windows.
 */
public class RollupBoundsFunction
        extends ProcessWindowFunction<RollupAccumulator, RollupAccumulator, String, TimeWindow> {

    private static final long serialVersionUID = 1L;

    @Override
    public void process(
            String key,
            Context context,
            Iterable<RollupAccumulator> aggregates,
            Collector<RollupAccumulator> out) {
        boolean quiet =
                QuietClosingWindowOperator.closedByQuietTime(
                        context.currentWatermark(), context.window());
        for (RollupAccumulator acc : aggregates) {
            acc.closedByQuietTime = quiet;
            out.collect(acc);
        }
    }
}
