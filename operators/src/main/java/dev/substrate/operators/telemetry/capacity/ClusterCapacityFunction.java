package dev.substrate.operators.telemetry.capacity;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Capacity per cluster for the scheduler, keyed by cluster: GPU samples on the first input, the
 * node-health changelog of {@code NodeHealthFunction} on the second. Every {@code reportInterval}
 * of event time it emits a {@link ClusterCapacity} holding at that instant.
 *
 * <pre>
 *  GpuSample  ─keyBy(cluster)─┐
 *                             ├─► ClusterCapacityFunction ─► ClusterCapacity every 10 s (event time)
 *  NodeHealth ─keyBy(cluster)─┘
 * </pre>
 *
 * <p>Free is telemetry-based for now: a GPU is free when its newest reading is at most {@code
 * staleAfter} old, its utilization is below {@code freeUtilizationPct}, less than {@code
 * freeMemoryFraction} of its memory is used, and its node is schedulable (health UP or WATCH). Once
 * workload requests are tracked, reservations not yet visible in telemetry can be subtracted here.
 * Reports come from event-time timers, so a report at T is made once both inputs' watermarks have
 * passed T: every health change up to T is known by then. A node's status in the report at T is
 * exactly the last change at or before T: changes that arrive ahead of event time (the other input
 * lags) wait in state until a report passes them. GPU readings are the newest received. The end of
 * a bounded input (watermark {@code Long.MAX_VALUE}) produces no report. GPUs and nodes not heard
 * of for {@code retention} are forgotten, and a cluster with none left has no state and no timer.
 */
public class ClusterCapacityFunction
        extends KeyedCoProcessFunction<String, GpuSample, NodeHealth, ClusterCapacity> {

    private static final long serialVersionUID = 1L;
    private static final long NONE = Long.MIN_VALUE;
    private static final String UNKNOWN = "UNKNOWN";

    private final CapacityConfig config;
    private final long intervalMillis;
    private final long staleMillis;
    private final long retentionMillis;

    private transient ValueState<ClusterReportState> cluster;
    private transient MapState<String, GpuReading> gpus;
    private transient MapState<String, NodeEntry> nodes;
    private transient MapState<String, PendingStatus> pending;

    public ClusterCapacityFunction(CapacityConfig config) {
        this.config = config;
        this.intervalMillis = config.reportInterval().toMillis();
        this.staleMillis = config.staleAfter().toMillis();
        this.retentionMillis = config.retention().toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        cluster =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "cluster-report",
                                        TypeInformation.of(ClusterReportState.class)));
        gpus =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "gpu-readings",
                                        Types.STRING,
                                        TypeInformation.of(GpuReading.class)));
        nodes =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "nodes",
                                        Types.STRING,
                                        TypeInformation.of(NodeEntry.class)));
        pending =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "pending-statuses",
                                        Types.STRING,
                                        TypeInformation.of(PendingStatus.class)));
    }

    @Override
    public void processElement1(GpuSample sample, Context ctx, Collector<ClusterCapacity> out)
            throws Exception {
        long t = sample.getTimestamp().toEpochMilli();
        GpuReading reading = gpus.get(sample.getGpuUuid());
        if (reading == null || reading.at <= t) {
            reading = reading == null ? new GpuReading() : reading;
            reading.node = sample.getNode();
            reading.model = sample.getModel();
            reading.at = t;
            long total = sample.getMemoryTotalMib();
            long used = sample.getMemoryUsedMib();
            reading.idle =
                    sample.getUtilizationPct() < config.freeUtilizationPct()
                            && total > 0
                            && used < config.freeMemoryFraction() * total;
            reading.freeMemoryMib = Math.max(0, total - used);
            Double limit = sample.getPowerLimitW();
            reading.powerHeadroomW =
                    limit == null ? Double.NaN : Math.max(0, limit - sample.getPowerDrawW());
            gpus.put(sample.getGpuUuid(), reading);
        }
        hear(sample.getNode(), null, t);
        schedule(sample.getRegion(), t, ctx.timerService());
    }

    @Override
    public void processElement2(NodeHealth health, Context ctx, Collector<ClusterCapacity> out)
            throws Exception {
        long t = health.getChangedAt().toEpochMilli();
        if (t <= ctx.timerService().currentWatermark()) {
            hear(health.getNode(), health.getStatus(), t);
        } else {
            // A change from the future of this operator's event time (its other input lags):
            // reports before t must not see it. A later change of the node at the same instant
            // replaces it, as the changelog says.
            pending.put(
                    health.getNode() + "@" + t,
                    new PendingStatus(health.getNode(), health.getStatus(), t));
        }
        schedule(health.getRegion(), t, ctx.timerService());
    }

    private void hear(String node, NodeStatus status, long at) throws Exception {
        NodeEntry entry = nodes.get(node);
        if (entry == null) {
            entry = new NodeEntry();
        } else if (status == null && entry.lastHeardAt >= at) {
            return;
        }
        if (status != null) {
            entry.status = status;
        }
        entry.lastHeardAt = Math.max(entry.lastHeardAt, at);
        nodes.put(node, entry);
    }

    private void schedule(String region, long at, TimerService timers) throws Exception {
        ClusterReportState state = cluster.value();
        if (state == null) {
            state = new ClusterReportState();
        }
        state.region = region;
        if (state.nextReportAt == NONE) {
            state.nextReportAt = (Math.floorDiv(at, intervalMillis) + 1) * intervalMillis;
            timers.registerEventTimeTimer(state.nextReportAt);
        }
        cluster.update(state);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ClusterCapacity> out)
            throws Exception {
        ClusterReportState state = cluster.value();
        if (state == null || timestamp != state.nextReportAt) {
            return;
        }
        state.nextReportAt = NONE;
        if (ctx.timerService().currentWatermark() == Long.MAX_VALUE) {
            // End of a bounded input: there is no "now" to report on.
            cluster.update(state);
            return;
        }
        applyPendingUpTo(timestamp);

        Map<String, NodeStatus> statusByNode = new HashMap<>();
        Map<String, Integer> nodesByStatus = new TreeMap<>();
        int healthyNodes = 0;
        Iterator<Map.Entry<String, NodeEntry>> nodeEntries = nodes.iterator();
        while (nodeEntries.hasNext()) {
            Map.Entry<String, NodeEntry> entry = nodeEntries.next();
            NodeEntry node = entry.getValue();
            if (node.lastHeardAt + retentionMillis <= timestamp) {
                nodeEntries.remove();
                continue;
            }
            statusByNode.put(entry.getKey(), node.status);
            nodesByStatus.merge(
                    node.status == null ? UNKNOWN : node.status.name(), 1, Integer::sum);
            if (schedulable(node.status)) {
                healthyNodes++;
            }
        }

        int totalGpus = 0;
        int freeGpus = 0;
        long freeMemory = 0;
        double headroom = 0;
        Map<String, Integer> freeByModel = new TreeMap<>();
        Iterator<Map.Entry<String, GpuReading>> readings = gpus.iterator();
        while (readings.hasNext()) {
            GpuReading gpu = readings.next().getValue();
            if (gpu.at + retentionMillis <= timestamp) {
                readings.remove();
                continue;
            }
            totalGpus++;
            if (timestamp - gpu.at > staleMillis) {
                continue;
            }
            if (!Double.isNaN(gpu.powerHeadroomW)) {
                headroom += gpu.powerHeadroomW;
            }
            if (schedulable(statusByNode.get(gpu.node))) {
                freeMemory += gpu.freeMemoryMib;
                if (gpu.idle) {
                    freeGpus++;
                    freeByModel.merge(gpu.model, 1, Integer::sum);
                }
            }
        }

        if (totalGpus == 0 && statusByNode.isEmpty() && pending.isEmpty()) {
            // Every GPU and node has been gone for the retention: forget the cluster.
            cluster.clear();
            gpus.clear();
            nodes.clear();
            pending.clear();
            return;
        }
        out.collect(
                ClusterCapacity.newBuilder()
                        .setRegion(state.region)
                        .setCluster(ctx.getCurrentKey())
                        .setTimestamp(Instant.ofEpochMilli(timestamp))
                        .setFreeGpus(freeGpus)
                        .setTotalGpus(totalGpus)
                        .setFreeMemoryMib(freeMemory)
                        .setPowerHeadroomW(headroom)
                        .setHealthyNodes(healthyNodes)
                        .setTotalNodes(statusByNode.size())
                        .setFreeGpusByModel(new HashMap<>(freeByModel))
                        .setNodesByStatus(new HashMap<>(nodesByStatus))
                        .build());
        state.nextReportAt = timestamp + intervalMillis;
        ctx.timerService().registerEventTimeTimer(state.nextReportAt);
        cluster.update(state);
    }

    /** Applies, in event-time order, the health changes that took effect by {@code time}. */
    private void applyPendingUpTo(long time) throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        List<PendingStatus> due = new ArrayList<>();
        Iterator<PendingStatus> entries = pending.values().iterator();
        while (entries.hasNext()) {
            PendingStatus change = entries.next();
            if (change.changedAt <= time) {
                due.add(change);
                entries.remove();
            }
        }
        due.sort(Comparator.comparingLong(change -> change.changedAt));
        for (PendingStatus change : due) {
            hear(change.node, change.status, change.changedAt);
        }
    }

    /** UP and WATCH nodes take work; unknown ones (no health record yet) do not. */
    private static boolean schedulable(NodeStatus status) {
        return status == NodeStatus.UP || status == NodeStatus.WATCH;
    }
}
