package dev.substrate.operators.policies;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Learns each principal's usual tokens per model invocation (an exponentially weighted mean) and
 * sets {@link PolicySignal#tokenRatio} on each invocation: its tokens over the baseline before it.
 * During the first {@code warmUp} invocations the ratio stays 0 (no baseline yet). Invocations
 * above {@code cap} times the baseline do not move it, so a burst cannot teach itself normal.
 *
 * <p>Invocations are taken in event-time order: each waits (in keyed state, with an event-time
 * timer) until the watermark passes it, as the CEP operator after it waits anyway. Arrival order is
 * not event order (parallel upstream channels interleave freely), and a baseline learned in arrival
 * order would rate the same history differently from run to run.
 */
public class TokenBaselineFunction
        extends KeyedProcessFunction<String, PolicySignal, PolicySignal> {

    private static final long serialVersionUID = 1L;

    private final double alpha;
    private final int warmUp;
    private final double cap;
    private transient ValueState<Double> mean;
    private transient ValueState<Integer> seen;
    private transient MapState<Long, List<PolicySignal>> waiting;

    public TokenBaselineFunction(double alpha, int warmUp, double cap) {
        this.alpha = alpha;
        this.warmUp = warmUp;
        this.cap = cap;
    }

    @Override
    public void open(OpenContext context) {
        mean = getRuntimeContext().getState(new ValueStateDescriptor<>("mean", Types.DOUBLE));
        seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen", Types.INT));
        waiting =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "waiting",
                                        Types.LONG,
                                        new ListTypeInfo<>(
                                                TypeInformation.of(PolicySignal.class))));
    }

    @Override
    public void processElement(PolicySignal signal, Context ctx, Collector<PolicySignal> out)
            throws Exception {
        if (signal.tokens <= 0) {
            out.collect(signal);
            return;
        }
        long at = signal.timestamp;
        List<PolicySignal> same = waiting.get(at);
        List<PolicySignal> next = same == null ? new ArrayList<>() : new ArrayList<>(same);
        next.add(signal.copy());
        waiting.put(at, next);
        ctx.timerService().registerEventTimeTimer(at);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PolicySignal> out)
            throws Exception {
        List<PolicySignal> due = waiting.get(timestamp);
        if (due == null) {
            return;
        }
        waiting.remove(timestamp);
        for (PolicySignal signal : due) {
            out.collect(rate(signal));
        }
    }

    private PolicySignal rate(PolicySignal signal) throws Exception {
        Double baseline = mean.value();
        int count = seen.value() == null ? 0 : seen.value();
        signal.tokenRatio = baseline == null || count < warmUp ? 0 : signal.tokens / baseline;
        if (baseline == null) {
            mean.update((double) signal.tokens);
        } else if (count < warmUp || signal.tokenRatio < cap) {
            mean.update(baseline + alpha * (signal.tokens - baseline));
        }
        seen.update(count + 1);
        return signal;
    }
}
