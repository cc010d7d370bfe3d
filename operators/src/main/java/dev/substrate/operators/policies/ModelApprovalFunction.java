package dev.substrate.operators.policies;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks each model invocation approved or not by the approved-model registry, a broadcast stream of
 * {@link ModelApproval}s: approving or revoking a version takes effect without a restart. The
 * registry keeps every version's history, so an invocation is judged as of its own event time by
 * the changes that have arrived: an invocation from before a revocation, judged after it arrived,
 * is not a violation. A change that arrives after an invocation was judged does not judge it again
 * (a revocation published with a time in the past applies to invocations judged from then on).
 *
 * <p>Until the first registry record arrives (a fresh start reads the compacted topic from its
 * beginning), invocations wait, up to {@code maxWaiting}; judging them on an empty registry would
 * report every invocation of the first seconds.
 */
public class ModelApprovalFunction
        extends BroadcastProcessFunction<PolicySignal, ModelApproval, PolicySignal>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelApprovalFunction.class);

    /** The broadcast state: every model version's history, by {@code <model>:<version>}. */
    public static final MapStateDescriptor<String, ModelApprovalHistory> REGISTRY =
            new MapStateDescriptor<>(
                    "model-registry", Types.STRING, TypeInformation.of(ModelApprovalHistory.class));

    /**
     * The registry's watermarks: none that hold event time back. A registry changes rarely (its
     * topic is compacted), and invocations are judged by each version's history, not by the order
     * the two streams meet in, so the broadcast side must never stall the policies' event time.
     */
    public static WatermarkStrategy<ModelApproval> registryWatermarks() {
        return WatermarkStrategy.<ModelApproval>forGenerator(
                        ctx ->
                                new WatermarkGenerator<>() {
                                    @Override
                                    public void onEvent(
                                            ModelApproval event,
                                            long timestamp,
                                            WatermarkOutput out) {}

                                    @Override
                                    public void onPeriodicEmit(WatermarkOutput out) {
                                        out.emitWatermark(Watermark.MAX_WATERMARK);
                                    }
                                })
                .withTimestampAssigner((change, previous) -> change.changedAt);
    }

    private static final String LOADED = "\u0000loaded";

    private final int maxWaiting;
    private transient List<PolicySignal> waiting;
    private transient ListState<PolicySignal> waitingState;

    public ModelApprovalFunction(int maxWaiting) {
        this.maxWaiting = maxWaiting;
    }

    @Override
    public void processElement(
            PolicySignal signal, ReadOnlyContext ctx, Collector<PolicySignal> out)
            throws Exception {
        ReadOnlyBroadcastState<String, ModelApprovalHistory> registry =
                ctx.getBroadcastState(REGISTRY);
        if (!registry.contains(LOADED) && waiting.size() < maxWaiting) {
            waiting.add(signal.copy());
            return;
        }
        if (!waiting.isEmpty()) {
            LOG.warn(
                    "No record in the model registry topic after {} model invocations: judging"
                            + " them on an empty registry (every version unapproved). Publish the"
                            + " approved versions to the registry topic.",
                    waiting.size());
            release(registry, out);
        }
        out.collect(judged(registry, signal));
    }

    @Override
    public void processBroadcastElement(
            ModelApproval change, Context ctx, Collector<PolicySignal> out) throws Exception {
        BroadcastState<String, ModelApprovalHistory> registry = ctx.getBroadcastState(REGISTRY);
        String key = ModelApproval.key(change.model, change.version);
        ModelApprovalHistory history = registry.get(key);
        registry.put(
                key,
                (history == null ? new ModelApprovalHistory() : history)
                        .with(change.changedAt, change.approved));
        if (!registry.contains(LOADED)) {
            registry.put(LOADED, new ModelApprovalHistory());
        }
        // A registry record lets the waiting invocations go: it may arrive on any input first.
        if (!waiting.isEmpty()) {
            for (PolicySignal signal : waiting) {
                out.collect(judged(registry, signal));
            }
            waiting.clear();
        }
    }

    private void release(
            ReadOnlyBroadcastState<String, ModelApprovalHistory> registry,
            Collector<PolicySignal> out)
            throws Exception {
        for (PolicySignal held : waiting) {
            out.collect(judged(registry, held));
        }
        waiting.clear();
    }

    private static PolicySignal judged(
            ReadOnlyBroadcastState<String, ModelApprovalHistory> registry, PolicySignal signal)
            throws Exception {
        if (signal.model == null || signal.modelVersion == null) {
            // Nothing to look up; the model_action_has_version quality rule counts these.
            return signal;
        }
        ModelApprovalHistory history =
                registry.get(ModelApproval.key(signal.model, signal.modelVersion));
        PolicySignal judged = signal.copy();
        judged.modelApproved = history != null && history.approvedAt(signal.timestamp);
        return judged;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        waitingState.update(waiting);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        waitingState =
                context.getOperatorStateStore()
                        .getListState(
                                new ListStateDescriptor<>(
                                        "waiting-invocations",
                                        TypeInformation.of(PolicySignal.class)));
        waiting = new ArrayList<>();
        for (PolicySignal signal : waitingState.get()) {
            waiting.add(signal);
        }
    }
}
