package dev.substrate.operators.policies;

import dev.substrate.events.PolicyViolation;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Suppresses repeats of one policy on one key within its cool-down, and counts them instead of
 * dropping them: the first violation leaves at once (revision 1); a violation whose last event is
 * within the cool-down after it is a repeat and only raises the count; when the cool-down ends in
 * event time with repeats counted, revision 2 of the first violation carries {@code
 * suppressed_count}. Keyed by the violation's key; one instance per policy.
 */
public class ViolationCoolDownFunction
        extends KeyedProcessFunction<String, PolicyViolation, PolicyViolation> {

    private static final long serialVersionUID = 1L;

    /** The metric of repeats suppressed (each one also counted on its violation). */
    public static final String METRIC_SUPPRESSED = "policySuppressedRepeats";

    private final long coolDownMs;
    private transient ValueState<PolicyViolation> reported;
    private transient Counter suppressed;

    public ViolationCoolDownFunction(Duration coolDown) {
        this.coolDownMs = coolDown.toMillis();
    }

    @Override
    public void open(OpenContext context) {
        reported =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "reported", new AvroTypeInfo<>(PolicyViolation.class)));
        suppressed = getRuntimeContext().getMetricGroup().counter(METRIC_SUPPRESSED);
    }

    @Override
    public void processElement(
            PolicyViolation violation, Context ctx, Collector<PolicyViolation> out)
            throws Exception {
        PolicyViolation open = reported.value();
        long at = violation.getLastEventAt().toEpochMilli();
        if (open != null) {
            long end = open.getLastEventAt().toEpochMilli() + coolDownMs;
            if (at < end) {
                open.setSuppressedCount(open.getSuppressedCount() + 1);
                reported.update(open);
                suppressed.inc();
                return;
            }
            // The cool-down is over in event time though its timer has not fired yet.
            ctx.timerService().deleteEventTimeTimer(end);
            close(open, out);
        }
        out.collect(violation);
        reported.update(PolicyViolation.newBuilder(violation).build());
        ctx.timerService().registerEventTimeTimer(at + coolDownMs);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PolicyViolation> out)
            throws Exception {
        PolicyViolation open = reported.value();
        if (open != null) {
            close(open, out);
        }
    }

    private void close(PolicyViolation open, Collector<PolicyViolation> out) {
        if (open.getSuppressedCount() > 0) {
            out.collect(PolicyViolation.newBuilder(open).setRevision(2).build());
        }
        reported.clear();
    }
}
