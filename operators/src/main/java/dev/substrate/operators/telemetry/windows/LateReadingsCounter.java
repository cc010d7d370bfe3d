package dev.substrate.operators.telemetry.windows;

import dev.substrate.events.GpuSample;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Counts readings that came too late for their telemetry window, in the metric {@value #METRIC},
 * and passes nothing on. The readings themselves are not lost: they are rows of {@code gpu_samples}
 * like any other; only the window aggregates miss them, and this counter says by how many (a rising
 * count means the windows' allowed lateness is shorter than the fleet's delays).
 */
public final class LateReadingsCounter extends ProcessFunction<GpuSample, Void> {

    private static final long serialVersionUID = 1L;

    /** The counter's name, in the operator's metric group. */
    public static final String METRIC = "readingsTooLateForWindows";

    private transient Counter late;

    @Override
    public void open(OpenContext openContext) {
        late = getRuntimeContext().getMetricGroup().counter(METRIC);
    }

    @Override
    public void processElement(GpuSample reading, Context ctx, Collector<Void> out) {
        late.inc();
    }
}
