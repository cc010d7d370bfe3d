package dev.substrate.operators.scheduling;

import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.state.BufferedInput;
import dev.substrate.operators.scheduling.state.ClusterView;
import dev.substrate.operators.scheduling.state.InputBatch;
import dev.substrate.operators.scheduling.state.NodeBook;
import dev.substrate.operators.scheduling.state.RequestBook;
import dev.substrate.operators.scheduling.state.SchedulerClock;
import dev.substrate.operators.scheduling.state.TenantBook;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The scheduler as a keyed two-input Flink function: workload requests on the first input, {@link
 * FleetSignal}s (GPU readings, node health, cluster capacity) on the second, {@link
 * SchedulingDecision}s out. It hosts a {@link FleetScheduler} per key (a scheduling domain; the job
 * uses one, {@link #DOMAIN}) and keeps its books in keyed state.
 *
 * <pre>
 *  WorkloadRequest ─keyBy(domain)─┐
 *                                 ├─► buffer by event time ─► on the watermark, per instant:
 *  FleetSignal ────keyBy(domain)──┘    (MapState)              due timers, signals, ends, starts,
 *                                                              submissions, queue retries ─► decisions
 * </pre>
 *
 * <p><b>Determinism.</b> Inputs wait in state until the watermark passes their event time; an
 * event-time timer then hands the instant's inputs to the scheduler in a fixed order (signals by
 * kind and node, then request ends, starts and submissions, each by request id). So the decisions
 * depend only on the inputs and their event times, not on how the two inputs interleaved on
 * arrival: a run restored from a checkpoint, or a replay from the lake, decides exactly as the
 * original run. Reservation expiries, deadlines and token refills are event-time timers too. An
 * input that arrives behind the watermark (later than the job's out-of-orderness, but within its
 * allowed lateness) is decided at once, at the latest event time decided so far, and counted in the
 * metric {@code lateInputs}: its place among the other inputs depended on its arrival.
 *
 * <p><b>State.</b> Nodes, requests, tenants and cluster reports are map state keyed by node,
 * request id, tenant and cluster; after each instant the books that changed are written as copies
 * (so a snapshot in progress never sees a later change). Ended requests are forgotten after {@code
 * finished_retention}, silent nodes holding nothing after the same, and the input buffer empties as
 * the watermark passes. The end of a bounded input (watermark {@code Long.MAX_VALUE}) decides the
 * inputs still buffered but runs no due timer that no input reached: expiries after the last input
 * wait in state for the next run.
 */
public class SchedulerFunction
        extends KeyedCoProcessFunction<String, WorkloadRequest, FleetSignal, SchedulingDecision> {

    private static final long serialVersionUID = 1L;

    /** The one scheduling domain of the job: the whole fleet, decided in one serial order. */
    public static final String DOMAIN = "fleet";

    private final SchedulerConfig config;

    private transient MapState<String, NodeBook> nodes;
    private transient MapState<String, RequestBook> requests;
    private transient MapState<String, TenantBook> tenants;
    private transient MapState<String, ClusterView> clusters;
    private transient ValueState<SchedulerClock> clock;
    private transient MapState<Long, InputBatch> inputs;
    private transient Map<String, FleetScheduler> schedulers;
    private transient Collector<SchedulingDecision> current;
    private transient Counter lateInputs;
    private transient Counter decisions;
    private transient SchedulerState.Persistence persistence;

    public SchedulerFunction(SchedulerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The key of every input: the one scheduling domain. */
    public static String domainOf(Object input) {
        return DOMAIN;
    }

    @Override
    public void open(OpenContext openContext) {
        nodes = map("nodes", NodeBook.class);
        requests = map("requests", RequestBook.class);
        tenants = map("tenants", TenantBook.class);
        clusters = map("clusters", ClusterView.class);
        clock =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "clock", TypeInformation.of(SchedulerClock.class)));
        inputs =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "inputs",
                                        Types.LONG,
                                        TypeInformation.of(InputBatch.class)));
        schedulers = new HashMap<>();
        lateInputs = getRuntimeContext().getMetricGroup().counter("lateInputs");
        decisions = getRuntimeContext().getMetricGroup().counter("decisions");
        persistence = persistence();
    }

    private <V> MapState<String, V> map(String name, Class<V> type) {
        return getRuntimeContext()
                .getMapState(
                        new MapStateDescriptor<>(name, Types.STRING, TypeInformation.of(type)));
    }

    @Override
    public void processElement1(
            WorkloadRequest request, Context ctx, Collector<SchedulingDecision> out)
            throws Exception {
        accept(
                ctx.getCurrentKey(),
                request.getTimestamp().toEpochMilli(),
                BufferedInput.of(request, System.currentTimeMillis()),
                ctx.timerService(),
                out);
    }

    @Override
    public void processElement2(FleetSignal signal, Context ctx, Collector<SchedulingDecision> out)
            throws Exception {
        accept(
                ctx.getCurrentKey(),
                signal.at,
                BufferedInput.of(signal, System.currentTimeMillis()),
                ctx.timerService(),
                out);
    }

    private void accept(
            String key,
            long at,
            BufferedInput input,
            TimerService timers,
            Collector<SchedulingDecision> out)
            throws Exception {
        if (at <= timers.currentWatermark()) {
            lateInputs.inc();
            step(key, at, List.of(input), timers, out);
            return;
        }
        InputBatch batch = inputs.get(at);
        inputs.put(at, (batch == null ? new InputBatch() : batch).plus(input));
        timers.registerEventTimeTimer(at);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SchedulingDecision> out)
            throws Exception {
        InputBatch batch = inputs.get(timestamp);
        if (batch != null) {
            inputs.remove(timestamp);
        } else if (ctx.timerService().currentWatermark() == Long.MAX_VALUE) {
            // The end of a bounded input is no instant of its own: what is due after the last
            // input waits for the next input (or run) to reach it.
            return;
        }
        step(
                ctx.getCurrentKey(),
                timestamp,
                batch == null ? List.of() : List.of(batch.items),
                ctx.timerService(),
                out);
    }

    /** Decides one instant, sets timers for what it made due, and writes the changed books. */
    private void step(
            String key,
            long at,
            List<BufferedInput> items,
            TimerService timers,
            Collector<SchedulingDecision> out)
            throws Exception {
        FleetScheduler scheduler = scheduler(key);
        current = out;
        scheduler.step(at, items, System.currentTimeMillis());
        for (long due : scheduler.takeNewDueTimes()) {
            timers.registerEventTimeTimer(due);
        }
        scheduler.state().flush(persistence);
        current = null;
    }

    /** This key's scheduler, its books rebuilt from state on first use after (re)start. */
    private FleetScheduler scheduler(String key) throws Exception {
        FleetScheduler scheduler = schedulers.get(key);
        if (scheduler == null) {
            SchedulerState books =
                    SchedulerState.restore(
                            config,
                            nodes.values(),
                            requests.values(),
                            tenants.values(),
                            clusters.values(),
                            clock.value());
            scheduler =
                    new FleetScheduler(
                            config,
                            books,
                            decision -> {
                                decisions.inc();
                                current.collect(decision);
                            },
                            System::currentTimeMillis);
            schedulers.put(key, scheduler);
        }
        return scheduler;
    }

    private SchedulerState.Persistence persistence() {
        return new SchedulerState.Persistence() {
            @Override
            public void putNode(String key, NodeBook node) throws Exception {
                nodes.put(key, node);
            }

            @Override
            public void removeNode(String key) throws Exception {
                nodes.remove(key);
            }

            @Override
            public void putRequest(String id, RequestBook request) throws Exception {
                requests.put(id, request);
            }

            @Override
            public void removeRequest(String id) throws Exception {
                requests.remove(id);
            }

            @Override
            public void putTenant(String tenant, TenantBook book) throws Exception {
                tenants.put(tenant, book);
            }

            @Override
            public void removeTenant(String tenant) throws Exception {
                tenants.remove(tenant);
            }

            @Override
            public void putCluster(String cluster, ClusterView view) throws Exception {
                clusters.put(cluster, view);
            }

            @Override
            public void putClock(SchedulerClock value) throws Exception {
                clock.update(value);
            }
        };
    }
}
