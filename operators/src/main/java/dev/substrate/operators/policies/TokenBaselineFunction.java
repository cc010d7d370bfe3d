package dev.substrate.operators.policies;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Learns each principal's usual tokens per model invocation (an exponentially weighted mean) and
 * sets {@link PolicySignal#tokenRatio} on each invocation: its tokens over the baseline before it.
 * During the first {@code warmUp} invocations the ratio stays 0 (no baseline yet). Invocations
 * above {@code cap} times the baseline do not move it, so a burst cannot teach itself normal.
 */
public class TokenBaselineFunction
        extends KeyedProcessFunction<String, PolicySignal, PolicySignal> {

    private static final long serialVersionUID = 1L;

    private final double alpha;
    private final int warmUp;
    private final double cap;
    private transient ValueState<Double> mean;
    private transient ValueState<Integer> seen;

    public TokenBaselineFunction(double alpha, int warmUp, double cap) {
        this.alpha = alpha;
        this.warmUp = warmUp;
        this.cap = cap;
    }

    @Override
    public void open(OpenContext context) {
        mean = getRuntimeContext().getState(new ValueStateDescriptor<>("mean", Types.DOUBLE));
        seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen", Types.INT));
    }

    @Override
    public void processElement(PolicySignal signal, Context ctx, Collector<PolicySignal> out)
            throws Exception {
        if (signal.tokens <= 0) {
            out.collect(signal);
            return;
        }
        Double baseline = mean.value();
        int count = seen.value() == null ? 0 : seen.value();
        PolicySignal rated = signal.copy();
        rated.tokenRatio = baseline == null || count < warmUp ? 0 : signal.tokens / baseline;
        if (baseline == null) {
            mean.update((double) signal.tokens);
        } else if (count < warmUp || rated.tokenRatio < cap) {
            mean.update(baseline + alpha * (signal.tokens - baseline));
        }
        seen.update(count + 1);
        out.collect(rated);
    }
}
