package dev.substrate.operators.telemetry.health;

import static dev.substrate.operators.telemetry.health.NodeHealthState.NONE;

import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Node health from GPU samples, keyed by {@link #nodeKey cluster/node}: a heartbeat (DOWN when a
 * node stops reporting, UP when it reports again), XID triage (DRAIN, WATCH or a reason only) and
 * sustained high temperature (DEGRADED), with a score from 100 to 0 and the reasons. It emits only
 * changes of status, score or reasons: a changelog per node.
 *
 * <p><b>Which clock decides that a node is silent.</b> Event time, so that a replay or a catch-up
 * after downtime gives the same answer as the live run, with a wall-clock fallback for the one case
 * event time cannot see:
 *
 * <ol>
 *   <li>An event-time timer at {@code last sample + heartbeatTimeout}. The watermark is shared by
 *       the whole stream, so other nodes' samples move it past a silent node's deadline and the
 *       timer fires while that node is still silent, about {@code heartbeatTimeout +
 *       out-of-orderness} after its last sample.
 *   <li>A gap check on arrival: a sample more than {@code heartbeatTimeout} after the node's
 *       previous one first publishes the DOWN the timer would have published (same record), then
 *       the node's return. Whether the watermark overtook the node's return or not (parallel
 *       sources, slow partitions), the changelog is the same.
 *   <li>A wall-clock (processing-time) timer, when {@code wallClockTimeout} is set: if the whole
 *       stream stops, the watermark stops and no event-time timer fires, yet nobody hears from the
 *       node. After {@code wallClockTimeout} of wall-clock silence since its last sample (or since
 *       this task started, so a restore does not take every node down) the node is DOWN.
 * </ol>
 *
 * <p>The end of a bounded input (watermark {@code Long.MAX_VALUE}) is not a heartbeat loss: timers
 * fired by it publish nothing. A DOWN node's state is dropped {@code retention} (event time) after
 * its last sample, without a record: its last record already says DOWN.
 *
 * <p>Statuses by precedence: DOWN, DRAIN (a drain XID reported within {@code drainHold}), DEGRADED
 * (a GPU at or above {@code degradedTemperatureC} for {@code sustainedFor}; cool again below {@code
 * recoveryTemperatureC}), WATCH (a watch XID within {@code watchHold}), UP. Score: 100 minus
 * {@value #DRAIN_PENALTY} per drain XID, {@value #HOT_GPU_PENALTY} per hot GPU and {@value
 * #WATCH_PENALTY} per watch XID, at least 0; 0 when DOWN. Application XIDs cost nothing and are
 * listed as reasons.
 */
public class NodeHealthFunction extends KeyedProcessFunction<String, GpuSample, NodeHealth> {

    private static final long serialVersionUID = 1L;

    static final int DRAIN_PENALTY = 60;
    static final int HOT_GPU_PENALTY = 25;
    static final int WATCH_PENALTY = 15;

    private final NodeHealthConfig config;
    private final long heartbeatMillis;
    private final long wallClockMillis;
    private final long retentionMillis;
    private final long sustainedMillis;
    private final long drainHoldMillis;
    private final long watchHoldMillis;

    private transient ValueState<NodeHealthState> health;
    private transient MapState<String, XidSighting> xids;
    private transient MapState<String, Long> hotSince;
    private transient long activeSinceWallClock;

    public NodeHealthFunction(NodeHealthConfig config) {
        this.config = config;
        this.heartbeatMillis = config.heartbeatTimeout().toMillis();
        this.wallClockMillis =
                config.wallClockTimeout() == null ? NONE : config.wallClockTimeout().toMillis();
        this.retentionMillis = config.retention().toMillis();
        this.sustainedMillis = config.sustainedFor().toMillis();
        this.drainHoldMillis = config.drainHold().toMillis();
        this.watchHoldMillis = config.watchHold().toMillis();
    }

    /** The key this function expects: {@code cluster/node}. */
    public static String nodeKey(GpuSample sample) {
        return sample.getCluster() + "/" + sample.getNode();
    }

    @Override
    public void open(OpenContext openContext) {
        health =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "node-health", TypeInformation.of(NodeHealthState.class)));
        xids =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "xid-sightings",
                                        Types.STRING,
                                        TypeInformation.of(XidSighting.class)));
        hotSince =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>("hot-since", Types.STRING, Types.LONG));
        activeSinceWallClock = NONE;
    }

    @Override
    public void processElement(GpuSample sample, Context ctx, Collector<NodeHealth> out)
            throws Exception {
        long t = sample.getTimestamp().toEpochMilli();
        long wallClock = ctx.timerService().currentProcessingTime();
        markActive(wallClock);
        NodeHealthState state = health.value();
        if (state == null) {
            state = new NodeHealthState();
            state.cluster = sample.getCluster();
            state.node = sample.getNode();
        } else if (state.status != NodeStatus.DOWN
                && state.lastSampleAt != NONE
                && t - state.lastSampleAt > heartbeatMillis) {
            // The node was silent longer than the timeout but the watermark has not fired the
            // timer yet: publish the same DOWN the timer would have, then the return.
            goDown(state, heartbeatReason(), out);
        }
        state.region = sample.getRegion();
        state.lastSampleAt = Math.max(state.lastSampleAt, t);
        state.lastArrivalWallClock = wallClock;

        int xid = sample.getXid();
        if (xid != 0) {
            String key = sample.getGpuUuid() + "#" + xid;
            XidSighting seen = xids.get(key);
            if (seen == null || seen.lastSeenAt < t) {
                xids.put(key, new XidSighting(sample.getGpuUuid(), xid, t));
            }
        }
        double temperature = sample.getTemperatureC();
        if (temperature >= config.degradedTemperatureC()) {
            if (!hotSince.contains(sample.getGpuUuid())) {
                hotSince.put(sample.getGpuUuid(), t);
            }
        } else if (temperature < config.recoveryTemperatureC()) {
            hotSince.remove(sample.getGpuUuid());
        }

        evaluate(state, out);
        armTimers(state, ctx.timerService(), wallClock);
        health.update(state);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<NodeHealth> out)
            throws Exception {
        NodeHealthState state = health.value();
        if (state == null) {
            return;
        }
        if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            onEventTimer(timestamp, state, ctx, out);
        } else {
            onWallClockTimer(timestamp, state, ctx, out);
        }
    }

    private void onEventTimer(
            long timestamp, NodeHealthState state, OnTimerContext ctx, Collector<NodeHealth> out)
            throws Exception {
        if (timestamp != state.eventTimerAt) {
            return;
        }
        state.eventTimerAt = NONE;
        if (ctx.timerService().currentWatermark() == Long.MAX_VALUE) {
            // End of a bounded input: nothing was lost, the data simply ended.
            health.update(state);
            return;
        }
        if (state.status != NodeStatus.DOWN && timestamp >= state.lastSampleAt + heartbeatMillis) {
            goDown(state, heartbeatReason(), out);
        }
        if (state.status == NodeStatus.DOWN && timestamp >= state.lastSampleAt + retentionMillis) {
            if (state.wallClockTimerAt != NONE) {
                ctx.timerService().deleteProcessingTimeTimer(state.wallClockTimerAt);
            }
            health.clear();
            xids.clear();
            hotSince.clear();
            return;
        }
        long next =
                state.lastSampleAt
                        + (state.status == NodeStatus.DOWN ? retentionMillis : heartbeatMillis);
        ctx.timerService().registerEventTimeTimer(next);
        state.eventTimerAt = next;
        health.update(state);
    }

    private void onWallClockTimer(
            long timestamp, NodeHealthState state, OnTimerContext ctx, Collector<NodeHealth> out)
            throws Exception {
        if (timestamp != state.wallClockTimerAt) {
            return;
        }
        state.wallClockTimerAt = NONE;
        markActive(ctx.timerService().currentProcessingTime());
        if (state.status != NodeStatus.DOWN) {
            long quietSince = Math.max(state.lastArrivalWallClock, activeSinceWallClock);
            if (timestamp - quietSince >= wallClockMillis) {
                goDown(
                        state,
                        "heartbeat lost: no samples for "
                                + describe(config.wallClockTimeout())
                                + " of wall-clock time (event time stalled)",
                        out);
            } else {
                long next = quietSince + wallClockMillis;
                ctx.timerService().registerProcessingTimeTimer(next);
                state.wallClockTimerAt = next;
            }
        }
        health.update(state);
    }

    private void markActive(long wallClock) {
        if (activeSinceWallClock == NONE) {
            activeSinceWallClock = wallClock;
        }
    }

    private void armTimers(NodeHealthState state, TimerService timers, long wallClock) {
        long deadline = state.lastSampleAt + heartbeatMillis;
        if (state.eventTimerAt == NONE || state.eventTimerAt > deadline) {
            if (state.eventTimerAt != NONE) {
                timers.deleteEventTimeTimer(state.eventTimerAt);
            }
            timers.registerEventTimeTimer(deadline);
            state.eventTimerAt = deadline;
        }
        // One pending wall-clock timer per node, moved forward lazily when it fires.
        if (wallClockMillis != NONE && state.wallClockTimerAt == NONE) {
            long at = wallClock + wallClockMillis;
            timers.registerProcessingTimeTimer(at);
            state.wallClockTimerAt = at;
        }
    }

    /** Re-derives status, score and reasons at the node's newest sample time; publishes changes. */
    private void evaluate(NodeHealthState state, Collector<NodeHealth> out) throws Exception {
        long now = state.lastSampleAt;
        List<String> reasons = new ArrayList<>();
        int penalty = 0;
        boolean drain = false;
        boolean watch = false;
        boolean degraded = false;

        Iterator<Map.Entry<String, XidSighting>> sightings = xids.iterator();
        while (sightings.hasNext()) {
            XidSighting seen = sightings.next().getValue();
            XidTriage.Action action = config.xids().actionFor(seen.xid);
            long hold = action == XidTriage.Action.DRAIN ? drainHoldMillis : watchHoldMillis;
            if (seen.lastSeenAt + hold < now) {
                sightings.remove();
                continue;
            }
            String what =
                    "xid "
                            + seen.xid
                            + " on "
                            + seen.gpuUuid
                            + ": "
                            + config.xids().describe(seen.xid);
            switch (action) {
                case DRAIN -> {
                    drain = true;
                    penalty += DRAIN_PENALTY;
                    reasons.add(what + " (drain)");
                }
                case WATCH -> {
                    watch = true;
                    penalty += WATCH_PENALTY;
                    reasons.add(what + " (watch)");
                }
                case RECORD -> reasons.add(what + " (no node action)");
            }
        }
        for (Map.Entry<String, Long> hot : hotSince.entries()) {
            if (now - hot.getValue() >= sustainedMillis) {
                degraded = true;
                penalty += HOT_GPU_PENALTY;
                reasons.add(
                        hot.getKey()
                                + " at or above "
                                + config.degradedTemperatureC()
                                + " C for "
                                + describe(config.sustainedFor())
                                + " or more");
            }
        }
        NodeStatus status =
                drain
                        ? NodeStatus.DRAIN
                        : degraded ? NodeStatus.DEGRADED : watch ? NodeStatus.WATCH : NodeStatus.UP;
        reasons.sort(null);
        publishIfChanged(state, status, Math.max(0, 100 - penalty), reasons, now, out);
    }

    private void goDown(NodeHealthState state, String reason, Collector<NodeHealth> out) {
        publishIfChanged(
                state,
                NodeStatus.DOWN,
                0,
                List.of(reason),
                state.lastSampleAt + heartbeatMillis,
                out);
    }

    private void publishIfChanged(
            NodeHealthState state,
            NodeStatus status,
            int score,
            List<String> reasons,
            long at,
            Collector<NodeHealth> out) {
        String digest = String.join("\n", reasons);
        if (status == state.status && score == state.score && digest.equals(state.reasonsDigest)) {
            return;
        }
        // A change never goes back in time, even after a wall-clock DOWN or late samples.
        long changedAt = state.changedAt == NONE ? at : Math.max(at, state.changedAt);
        NodeStatus previous = state.status;
        if (status != previous) {
            state.since = changedAt;
        }
        state.status = status;
        state.score = score;
        state.reasonsDigest = digest;
        state.changedAt = changedAt;
        out.collect(
                NodeHealth.newBuilder()
                        .setRegion(state.region)
                        .setCluster(state.cluster)
                        .setNode(state.node)
                        .setStatus(status)
                        .setPreviousStatus(previous)
                        .setScore(score)
                        .setReasons(new ArrayList<>(reasons))
                        .setSince(Instant.ofEpochMilli(state.since))
                        .setChangedAt(Instant.ofEpochMilli(changedAt))
                        .setLastSampleAt(
                                state.lastSampleAt == NONE
                                        ? null
                                        : Instant.ofEpochMilli(state.lastSampleAt))
                        .build());
    }

    private String heartbeatReason() {
        return "heartbeat lost: no samples for " + describe(config.heartbeatTimeout());
    }

    private static String describe(Duration duration) {
        long seconds = duration.toSeconds();
        return seconds * 1000 == duration.toMillis() ? seconds + " s" : duration.toMillis() + " ms";
    }
}
