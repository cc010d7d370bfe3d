package dev.substrate.operators.policies;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/**
 * Counts the signals a policy's CEP operator received behind its watermark (metric {@value
 * #METRIC}), so lateness inside the policies is visible, never a silent drop; passes them on.
 */
class LateSignalCounter extends RichMapFunction<PolicySignal, PolicySignal> {

    private static final long serialVersionUID = 1L;

    static final String METRIC = "policyLateSignals";

    private transient Counter late;

    @Override
    public void open(OpenContext context) {
        late = getRuntimeContext().getMetricGroup().counter(METRIC);
    }

    @Override
    public PolicySignal map(PolicySignal signal) {
        late.inc();
        return signal;
    }
}
