package dev.substrate.dashboard.tenants;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.events.DecisionTarget;
import dev.substrate.events.GpuMetrics;
import dev.substrate.events.MetricsLevel;
import dev.substrate.events.SchedulingDecision;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * GPU-hours and energy per tenant, from the scheduling decisions joined with the 1-minute node
 * windows, in event time (panel {@value #PANEL}, keyed by tenant).
 *
 * <ul>
 *   <li><b>GPU-hours</b>: each decision says which GPUs its request holds from {@code decided_at}
 *       on (its {@code targets}); a request holds them until its next decision. Open placements
 *       count up to the newest event time seen on either input.
 *   <li><b>Energy</b>: a node's 1-minute window ({@code energy_joules} of its {@code gpu_count}
 *       GPUs) is split by GPU-seconds: a tenant holding {@code g} of the node's GPUs for {@code s}
 *       seconds of the window gets {@code energy × g × s / (gpu_count × 60)} (GPUs of a node are
 *       taken to draw alike). The rest is nobody's (idle GPUs). A window is attributed when it
 *       arrives, by the placements known then; a late revision of a window replaces its
 *       attribution.
 * </ul>
 *
 * Repeats of a decision (the outputs are at-least-once) are applied once, by the request's decision
 * sequence. Memory is bounded: ended placements are kept {@link #RETENTION} of event time for late
 * windows, and the attribution of the last {@value #REMEMBERED_WINDOWS} windows for revisions.
 */
public final class TenantUsage {

    public static final String PANEL = "tenants";

    /** How long (event time) an ended placement still takes a share of windows that arrive. */
    static final Duration RETENTION = Duration.ofHours(2);

    static final int REMEMBERED_WINDOWS = 20_000;
    static final int REMEMBERED_REQUESTS = 100_000;

    private final Map<String, Holding> holdings = new HashMap<>();
    private final Map<String, Deque<Interval>> endedByNode = new HashMap<>();
    private final Map<String, Double> closedGpuSeconds = new HashMap<>();
    private final Map<String, Double> energy = new HashMap<>();
    private final Map<String, Integer> lastSequence = bounded(REMEMBERED_REQUESTS);
    private final Map<String, Map<String, Double>> attributed = bounded(REMEMBERED_WINDOWS);
    private Instant now = Instant.EPOCH;

    /**
     * Applies a decision: what its request held ends at {@code decided_at}, and its targets are
     * held from then on. Returns the totals to publish.
     */
    public synchronized List<TenantTotals> decision(SchedulingDecision decision) {
        String request = decision.getRequestId();
        Integer applied = lastSequence.get(request);
        if (applied != null && applied >= decision.getSequence()) {
            return List.of(); // a repeat, or older than what is applied
        }
        lastSequence.put(request, decision.getSequence());
        Instant at = decision.getDecidedAt();
        Set<String> changed = new TreeSet<>();
        changed.add(decision.getTenant());
        Holding ended = holdings.remove(request);
        if (ended != null) {
            end(ended, at);
            changed.add(ended.tenant());
        }
        Map<String, Integer> gpus = new TreeMap<>();
        for (DecisionTarget target : decision.getTargets()) {
            gpus.merge(
                    node(target.getCluster(), target.getNode()),
                    target.getGpuIndices().size(),
                    Integer::sum);
        }
        if (!gpus.isEmpty()) {
            holdings.put(request, new Holding(decision.getTenant(), gpus, at));
        }
        return advanceTo(at, changed);
    }

    /**
     * Attributes a 1-minute node window's energy (other rows are ignored). Returns the totals to
     * publish.
     */
    public synchronized List<TenantTotals> window(GpuMetrics row) {
        if (row.getLevel() != MetricsLevel.NODE
                || row.getWindowSizeS() != 60
                || row.getNode() == null
                || row.getGpuCount() <= 0) {
            return List.of();
        }
        String node = node(row.getCluster(), row.getNode());
        Instant start = row.getWindowStart();
        Instant end = row.getWindowEnd();
        Map<String, Double> gpuSeconds = new TreeMap<>();
        for (Interval interval : endedByNode.getOrDefault(node, new ArrayDeque<>())) {
            double s = gpuSeconds(interval.gpus(), interval.from(), interval.to(), start, end);
            if (s > 0) {
                gpuSeconds.merge(interval.tenant(), s, Double::sum);
            }
        }
        for (Holding holding : holdings.values()) {
            Integer gpus = holding.gpus().get(node);
            if (gpus != null) {
                double s = gpuSeconds(gpus, holding.since(), end, start, end);
                if (s > 0) {
                    gpuSeconds.merge(holding.tenant(), s, Double::sum);
                }
            }
        }
        double capacity = row.getGpuCount() * (double) Duration.between(start, end).toSeconds();
        double held = gpuSeconds.values().stream().mapToDouble(Double::doubleValue).sum();
        // More held than reported (a GPU that sent nothing): the window's energy is split by
        // what is held, never more than all of it.
        double denominator = Math.max(capacity, held);
        Map<String, Double> joules = new TreeMap<>();
        gpuSeconds.forEach((t, s) -> joules.put(t, row.getEnergyJoules() * s / denominator));
        Set<String> changed = new TreeSet<>(joules.keySet());
        Map<String, Double> before = attributed.put(node + "|" + start.toEpochMilli(), joules);
        if (before != null) {
            before.forEach((t, j) -> energy.merge(t, -j, Double::sum));
            changed.addAll(before.keySet());
        }
        joules.forEach((t, j) -> energy.merge(t, j, Double::sum));
        return advanceTo(end, changed);
    }

    /** Every tenant's totals now. */
    public synchronized List<TenantTotals> totals() {
        Set<String> tenants = new TreeSet<>(closedGpuSeconds.keySet());
        tenants.addAll(energy.keySet());
        holdings.values().forEach(h -> tenants.add(h.tenant()));
        return totalsOf(tenants);
    }

    /** Publishes {@code totals} to the {@value #PANEL} panel. */
    public static void publish(List<TenantTotals> totals, UpdateHub hub) {
        for (TenantTotals t : totals) {
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            json.put("tenant", t.tenant());
            json.put("gpus_held", t.gpusHeld());
            json.put("gpu_hours", t.gpuHours());
            json.put("energy_kwh", t.energyJoules() / 3.6e6);
            json.put("as_of", t.asOf().toEpochMilli());
            hub.publish(PANEL, t.tenant(), json.toString());
        }
    }

    private void end(Holding holding, Instant at) {
        Instant to = at.isBefore(holding.since()) ? holding.since() : at;
        holding.gpus()
                .forEach(
                        (node, gpus) -> {
                            endedByNode
                                    .computeIfAbsent(node, n -> new ArrayDeque<>())
                                    .addLast(
                                            new Interval(
                                                    holding.tenant(), gpus, holding.since(), to));
                            closedGpuSeconds.merge(
                                    holding.tenant(),
                                    gpus * millis(holding.since(), to) / 1000.0,
                                    Double::sum);
                        });
    }

    /**
     * Moves event time forward; on a new minute every tenant is published (open placements grew),
     * else only the changed ones.
     */
    private List<TenantTotals> advanceTo(Instant at, Set<String> changed) {
        long minuteBefore = now.toEpochMilli() / 60_000;
        if (at.isAfter(now)) {
            now = at;
            Instant horizon = now.minus(RETENTION);
            endedByNode.values().forEach(q -> q.removeIf(i -> i.to().isBefore(horizon)));
            endedByNode.values().removeIf(Deque::isEmpty);
        }
        return now.toEpochMilli() / 60_000 != minuteBefore ? totals() : totalsOf(changed);
    }

    private List<TenantTotals> totalsOf(Set<String> tenants) {
        Map<String, Integer> held = new HashMap<>();
        Map<String, Double> gpuSeconds = new HashMap<>(closedGpuSeconds);
        for (Holding h : holdings.values()) {
            int gpus = h.gpus().values().stream().mapToInt(Integer::intValue).sum();
            held.merge(h.tenant(), gpus, Integer::sum);
            gpuSeconds.merge(h.tenant(), gpus * millis(h.since(), now) / 1000.0, Double::sum);
        }
        List<TenantTotals> totals = new ArrayList<>();
        for (String tenant : tenants) {
            totals.add(
                    new TenantTotals(
                            tenant,
                            held.getOrDefault(tenant, 0),
                            gpuSeconds.getOrDefault(tenant, 0.0) / 3600.0,
                            energy.getOrDefault(tenant, 0.0),
                            now));
        }
        return totals;
    }

    /** GPU-seconds of {@code gpus} held over {@code [from, to)} within the window. */
    private static double gpuSeconds(
            int gpus, Instant from, Instant to, Instant start, Instant end) {
        Instant a = from.isAfter(start) ? from : start;
        Instant b = to.isBefore(end) ? to : end;
        return gpus * millis(a, b) / 1000.0;
    }

    private static long millis(Instant from, Instant to) {
        return Math.max(0, to.toEpochMilli() - from.toEpochMilli());
    }

    private static String node(String cluster, String node) {
        return cluster + "/" + node;
    }

    private static <V> Map<String, V> bounded(int capacity) {
        return new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > capacity;
            }
        };
    }

    /** GPUs a request holds now, per node ({@code cluster/node}), since an event time. */
    private record Holding(String tenant, Map<String, Integer> gpus, Instant since) {}

    /** GPUs a tenant held on one node over {@code [from, to)} of event time. */
    private record Interval(String tenant, int gpus, Instant from, Instant to) {}
}
