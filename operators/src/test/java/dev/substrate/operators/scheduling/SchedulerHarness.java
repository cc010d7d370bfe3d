package dev.substrate.operators.scheduling;

import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

/**
 * {@link SchedulerFunction} in Flink's keyed two-input operator harness, generic types off, with
 * short-hands: feed requests and signals, move the watermark, take the decisions made since.
 */
final class SchedulerHarness implements AutoCloseable {

    final KeyedTwoInputStreamOperatorTestHarness<
                    String, WorkloadRequest, FleetSignal, SchedulingDecision>
            harness;
    private int taken;

    SchedulerHarness(SchedulerConfig config) throws Exception {
        this(config, null);
    }

    SchedulerHarness(SchedulerConfig config, OperatorSubtaskState restoreFrom) throws Exception {
        harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(new SchedulerFunction(config)),
                        (WorkloadRequest r) -> SchedulerFunction.DOMAIN,
                        (FleetSignal s) -> SchedulerFunction.DOMAIN,
                        Types.STRING);
        ((SerializerConfigImpl) harness.getExecutionConfig().getSerializerConfig())
                .setGenericTypes(false);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
    }

    SchedulerHarness request(WorkloadRequest r) throws Exception {
        harness.processElement1(r, r.getTimestamp().toEpochMilli());
        return this;
    }

    SchedulerHarness signal(FleetSignal s) throws Exception {
        harness.processElement2(s, s.at);
        return this;
    }

    SchedulerHarness signals(List<FleetSignal> signals) throws Exception {
        for (FleetSignal s : signals) {
            signal(s);
        }
        return this;
    }

    SchedulerHarness watermark(long t) throws Exception {
        harness.processBothWatermarks(new Watermark(t));
        return this;
    }

    /** Decisions made since the last call. */
    List<SchedulingDecision> decisions() {
        List<SchedulingDecision> all = harness.extractOutputValues();
        List<SchedulingDecision> fresh = new ArrayList<>(all.subList(taken, all.size()));
        taken = all.size();
        return fresh;
    }

    /** Every decision so far. */
    List<SchedulingDecision> all() {
        return harness.extractOutputValues();
    }

    /** The decisions since the last call about {@code requestId}. */
    static List<SchedulingDecision> of(List<SchedulingDecision> decisions, String requestId) {
        return decisions.stream()
                .filter(d -> d.getRequestId().equals(requestId))
                .collect(Collectors.toList());
    }

    static SchedulingDecision only(List<SchedulingDecision> decisions, String requestId) {
        List<SchedulingDecision> mine = of(decisions, requestId);
        if (mine.size() != 1) {
            throw new AssertionError("expected one decision about " + requestId + ", got " + mine);
        }
        return mine.get(0);
    }

    static List<SchedulingAction> actions(List<SchedulingDecision> decisions) {
        return decisions.stream().map(SchedulingDecision::getAction).toList();
    }

    OperatorSubtaskState snapshot(long checkpointId) throws Exception {
        return harness.snapshot(checkpointId, checkpointId);
    }

    @Override
    public void close() throws Exception {
        harness.close();
    }
}
