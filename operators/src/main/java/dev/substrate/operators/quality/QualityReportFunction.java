package dev.substrate.operators.quality;

import dev.substrate.events.QualityReport;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Turns a report window's merged counts into one {@link QualityReport} row per rule, and each late
 * firing into rows of only what changed since the window's previous rows (the next revision), so
 * that a window's rows add up to its counts instead of repeating them.
 *
 * <p>What was reported and how often is per-window state, cleared with the window when its allowed
 * lateness has passed.
 */
final class QualityReportFunction
        extends ProcessWindowFunction<QualityCounts, QualityReport, String, TimeWindow> {

    private static final long serialVersionUID = 1L;

    static final ValueStateDescriptor<QualityCounts> REPORTED =
            new ValueStateDescriptor<>("quality-reported", QualityReportAggregator.countsType());

    static final ValueStateDescriptor<Integer> REVISION =
            new ValueStateDescriptor<>("quality-revision", Types.INT);

    @Override
    public void process(
            String source,
            Context context,
            Iterable<QualityCounts> merged,
            Collector<QualityReport> out)
            throws Exception {
        QualityCounts counts = merged.iterator().next();
        ValueState<QualityCounts> reported = context.windowState().getState(REPORTED);
        ValueState<Integer> revision = context.windowState().getState(REVISION);
        QualityCounts before = reported.value();
        if (before != null && before.evaluated == counts.evaluated) {
            return;
        }
        int next = before == null ? 0 : revision.value() + 1;
        QualityCounts delta = before == null ? counts : counts.minus(before);
        TimeWindow window = context.window();
        delta.toRows(window.getStart(), window.getEnd(), next, out::collect);
        // A copy: the window's accumulator keeps changing in place with later partials.
        reported.update(counts.copy());
        revision.update(next);
    }

    @Override
    public void clear(Context context) {
        context.windowState().getState(REPORTED).clear();
        context.windowState().getState(REVISION).clear();
    }
}
