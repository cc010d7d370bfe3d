package dev.substrate.operators.policies;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks each model invocation approved or not by the approved-model registry, a broadcast stream of
 * {@link ModelApproval}s: approving or revoking a version takes effect without a restart. An
 * invocation is judged by the registry as it stood at the invocation's event time.
 *
 * <p>Invocations are held (keyed state, one event-time timer per key and time) until the operator's
 * watermark, the lower of the invocations' and the registry's, passes their time. The registry side
 * holds its watermark back until it has read the registry as it stood at start ({@link
 * #registryWatermarks()} on the snapshot, {@link #liveRegistryWatermarks()} on the changes that
 * follow), so on a fresh start no invocation meets a registry that is still loading. After that the
 * registry side no longer holds event time back: a change read later applies to the invocations
 * judged from then on (a revocation published with a time in the past does not judge again what was
 * judged already).
 *
 * <p>Nothing waits on the task thread: while the registry loads, held invocations only fill state;
 * when that lasts longer than {@link #SLOW_REGISTRY_WARNING_MILLIS} a warning says so.
 */
public class ModelApprovalFunction
        extends KeyedBroadcastProcessFunction<String, PolicySignal, ModelApproval, PolicySignal> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelApprovalFunction.class);

    /** How long invocations may wait for the registry to load before a warning names it. */
    public static final long SLOW_REGISTRY_WARNING_MILLIS = 30_000;

    /** The broadcast state: every model version's history, by {@code <model>:<version>}. */
    public static final MapStateDescriptor<String, ModelApprovalHistory> REGISTRY =
            new MapStateDescriptor<>(
                    "model-registry", Types.STRING, TypeInformation.of(ModelApprovalHistory.class));

    /**
     * The watermarks of the registry as it stood at start (a stream that ends, e.g. the registry
     * topic read up to its end offsets at start): none until it ends, when Flink advances it to the
     * end of time. Until then every invocation is held.
     */
    public static WatermarkStrategy<ModelApproval> registryWatermarks() {
        return WatermarkStrategy.<ModelApproval>noWatermarks()
                .withTimestampAssigner((change, previous) -> change.changedAt);
    }

    /**
     * The watermarks of the registry's changes after start (the topic read on, unbounded): the end
     * of time, always. The registry changes rarely, and must not stall the policies' event time
     * once its snapshot is read; use it only beside a {@link #registryWatermarks()} snapshot.
     */
    public static WatermarkStrategy<ModelApproval> liveRegistryWatermarks() {
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

    private transient MapState<Long, List<PolicySignal>> held;
    private transient long heldSince;
    private transient long lastWarning;

    @Override
    public void open(OpenContext openContext) {
        held =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "held-invocations",
                                        Types.LONG,
                                        Types.LIST(TypeInformation.of(PolicySignal.class))));
        heldSince = Long.MIN_VALUE;
    }

    @Override
    public void processElement(
            PolicySignal signal, ReadOnlyContext ctx, Collector<PolicySignal> out)
            throws Exception {
        long watermark = ctx.currentWatermark();
        if (signal.model == null || signal.modelVersion == null || signal.timestamp <= watermark) {
            // Nothing to look up, or the registry has already caught up with its time (a late
            // invocation goes on at once: the CEP operator counts it as late).
            out.collect(judged(ctx.getBroadcastState(REGISTRY), signal));
            return;
        }
        List<PolicySignal> atTime = held.get(signal.timestamp);
        if (atTime == null) {
            atTime = new ArrayList<>();
            ctx.timerService().registerEventTimeTimer(signal.timestamp);
        }
        atTime.add(signal.copy());
        held.put(signal.timestamp, atTime);
        if (watermark == Long.MIN_VALUE) {
            warnWhileTheRegistryLoads();
        }
    }

    private void warnWhileTheRegistryLoads() {
        long now = System.currentTimeMillis();
        if (heldSince == Long.MIN_VALUE) {
            heldSince = now;
        } else if (now - heldSince > SLOW_REGISTRY_WARNING_MILLIS
                && now - lastWarning > SLOW_REGISTRY_WARNING_MILLIS) {
            lastWarning = now;
            LOG.warn(
                    "Model invocations have waited {} s for a watermark: the unapproved-model"
                            + " policy judges them once the model registry is read to the end it"
                            + " had at start. Check that the registry topic"
                            + " (policies.model-registry.topic) is reachable and that the"
                            + " invocations' sources emit watermarks.",
                    (now - heldSince) / 1000);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PolicySignal> out)
            throws Exception {
        List<PolicySignal> atTime = held.get(timestamp);
        if (atTime == null) {
            return;
        }
        ReadOnlyBroadcastState<String, ModelApprovalHistory> registry =
                ctx.getBroadcastState(REGISTRY);
        for (PolicySignal signal : atTime) {
            out.collect(judged(registry, signal));
        }
        held.remove(timestamp);
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
}
