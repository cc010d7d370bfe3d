package dev.substrate.operators.scheduling;

import dev.substrate.events.NodeStatus;
import dev.substrate.events.PlacementCandidate;
import dev.substrate.events.ScoreParts;
import dev.substrate.operators.scheduling.config.PlacementStrategy;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.state.ClusterView;
import dev.substrate.operators.scheduling.state.NodeBook;
import dev.substrate.operators.scheduling.state.RequestBook;
import dev.substrate.operators.scheduling.state.RequestPhase;
import dev.substrate.operators.scheduling.state.Target;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.annotation.Nullable;

/**
 * Finds where a unit of requests fits: filter (right accelerator, node UP or WATCH, fresh
 * telemetry, free GPUs with enough free memory), score (bin-pack or spread, low utilization, power
 * headroom, warm replicas of the same model version, health, distance to the preferred region),
 * pick. A request on its own goes to one node unless it asks for more GPUs than any node has; a
 * gang (or such a big request) goes to one cluster, all members or none.
 *
 * <p>Regions are tried in tiers: the preferred region if healthy; then the other healthy regions,
 * each with the cross-region penalty in its score (a REROUTE); then unhealthy regions. With
 * preemption, GPUs held by strictly lower-priority work count as available too, and the cheapest
 * eviction wins: lowest victim priority, then fewest GPUs evicted, then best score.
 *
 * <p>Every loop runs over ordered lists (nodes by cluster and node name), and ties go to the
 * smaller key, so the same books always give the same placement.
 */
final class PlacementSearch {

    static final int CANDIDATES_KEPT = 5;
    static final double PACKING = 40;
    static final double UTILIZATION = 20;
    static final double POWER = 10;
    static final double WARM = 15;
    static final double WATCH_PENALTY = -10;

    static final String FILTER_STALE = "telemetry stale";
    static final String FILTER_NO_HEALTH = "no health report yet";
    static final String FILTER_FEW_GPUS = "too few free GPUs";
    static final String FILTER_MEMORY = "too little free GPU memory";
    static final String FILTER_GANG = "taken by other members";

    /** What a search found, or why it found nothing, for the decision record. */
    static final class Explanation {
        int considered;
        final TreeMap<String, Integer> filtered = new TreeMap<>();
        final List<PlacementCandidate> scored = new ArrayList<>();
        final List<PlacementCandidate> partial = new ArrayList<>();
        int mostFitting;
        int wanted;
        String type;

        void filter(String reason) {
            filtered.merge(reason, 1, Integer::sum);
        }

        void offer(NodeBook n, int fitting, @Nullable Double score) {
            // Most nodes do not make the list: look before allocating.
            if (score != null) {
                if (scored.size() == CANDIDATES_KEPT
                        && score <= scored.get(CANDIDATES_KEPT - 1).getScore()) {
                    return;
                }
                insert(scored, new PlacementCandidate(n.cluster, n.node, fitting, score), SCORED);
            } else {
                if (scored.size() == CANDIDATES_KEPT
                        || (partial.size() == CANDIDATES_KEPT
                                && fitting <= partial.get(CANDIDATES_KEPT - 1).getFittingGpus())) {
                    return;
                }
                insert(partial, new PlacementCandidate(n.cluster, n.node, fitting, null), PARTIAL);
            }
        }

        private static void insert(
                List<PlacementCandidate> list,
                PlacementCandidate c,
                Comparator<PlacementCandidate> order) {
            int at = 0;
            while (at < list.size() && order.compare(list.get(at), c) <= 0) {
                at++;
            }
            if (at < CANDIDATES_KEPT) {
                list.add(at, c);
                if (list.size() > CANDIDATES_KEPT) {
                    list.remove(list.size() - 1);
                }
            }
        }

        /** The best candidates: scored ones first, then the nearest misses. */
        List<PlacementCandidate> candidates() {
            List<PlacementCandidate> all = new ArrayList<>(scored);
            for (PlacementCandidate c : partial) {
                if (all.size() >= CANDIDATES_KEPT) {
                    break;
                }
                all.add(c);
            }
            return all;
        }

        /** "9 H100-80GB nodes checked: 4 DOWN, 5 too few free GPUs (at most 2 free, needs 8)". */
        String summary() {
            StringBuilder s = new StringBuilder();
            s.append(considered)
                    .append(' ')
                    .append(type)
                    .append(considered == 1 ? " node" : " nodes");
            s.append(" checked");
            if (!filtered.isEmpty()) {
                s.append(": ");
                List<String> parts = new ArrayList<>();
                filtered.forEach((reason, n) -> parts.add(n + " " + reason));
                s.append(String.join(", ", parts));
            }
            if (filtered.containsKey(FILTER_FEW_GPUS) || filtered.containsKey(FILTER_MEMORY)) {
                s.append(" (the most usable on one node: ")
                        .append(mostFitting)
                        .append(", needs ")
                        .append(wanted)
                        .append(')');
            }
            return s.toString();
        }
    }

    private static final Comparator<PlacementCandidate> SCORED =
            Comparator.comparing(PlacementCandidate::getScore, Comparator.reverseOrder())
                    .thenComparing(PlacementCandidate::getCluster)
                    .thenComparing(PlacementCandidate::getNode);
    private static final Comparator<PlacementCandidate> PARTIAL =
            Comparator.comparing(PlacementCandidate::getFittingGpus, Comparator.reverseOrder())
                    .thenComparing(PlacementCandidate::getCluster)
                    .thenComparing(PlacementCandidate::getNode);

    /** A search's result: the placement (null if none) and what was looked at. */
    record Result(@Nullable Placement placement, Explanation explanation) {}

    private final SchedulerPolicy policy;
    private final SchedulerState state;
    private final long staleMillis;

    // Per search.
    private long now;
    private int preemptBelow;
    private Set<String> unitIds;
    private final Map<String, Boolean> preemptible = new HashMap<>();

    PlacementSearch(SchedulerPolicy policy, SchedulerState state) {
        this.policy = policy;
        this.state = state;
        this.staleMillis = policy.telemetryStaleAfter().toMillis();
    }

    /**
     * Where {@code unit} fits at {@code now}.
     *
     * @param preemptBelow evict work of priority below this; -1 to evict nothing
     */
    Result find(List<RequestBook> unit, long now, int preemptBelow) {
        this.now = now;
        this.preemptBelow = preemptBelow;
        this.unitIds = new TreeSet<>();
        unit.forEach(r -> unitIds.add(r.requestId));
        this.preemptible.clear();
        List<RequestBook> members = new ArrayList<>(unit);
        members.sort(
                Comparator.comparingInt((RequestBook r) -> -r.gpus)
                        .thenComparing(r -> r.requestId));
        RequestBook lead = members.get(0);
        Explanation why = new Explanation();
        why.type = lead.acceleratorType;
        why.wanted = lead.gpus;
        List<NodeBook> pool = state.nodesOfType(lead.acceleratorType);
        TreeSet<String> healthy = new TreeSet<>();
        TreeSet<String> unhealthy = new TreeSet<>();
        for (NodeBook n : pool) {
            (regionHealthy(n.region) ? healthy : unhealthy).add(n.region);
        }
        String preferred = lead.preferredRegion;
        List<Set<String>> tiers = new ArrayList<>();
        String preferredNote = null;
        if (preferred != null) {
            if (healthy.contains(preferred)) {
                tiers.add(Set.of(preferred));
            } else if (unhealthy.contains(preferred)) {
                preferredNote = preferred + " is unhealthy (" + regionHealth(preferred) + ")";
            } else {
                preferredNote = preferred + " has no " + lead.acceleratorType + " nodes";
            }
            TreeSet<String> others = new TreeSet<>(healthy);
            others.remove(preferred);
            tiers.add(others);
        } else {
            tiers.add(healthy);
        }
        tiers.add(unhealthy);
        for (int tier = 0; tier < tiers.size(); tier++) {
            Set<String> regions = tiers.get(tier);
            if (regions.isEmpty()) {
                continue;
            }
            Placement found = searchRegions(members, pool, regions, preferred, why);
            if (found != null) {
                if (preferred != null && !found.region.equals(preferred)) {
                    found.notPreferredBecause =
                            preferredNote != null
                                    ? preferredNote
                                    : preferred + " has no room (" + why.summary() + ")";
                }
                return new Result(found, why);
            }
            if (preferred != null && tier == 0 && preferredNote == null) {
                preferredNote = preferred + " has no room (" + why.summary() + ")";
            }
        }
        return new Result(null, why);
    }

    private Placement searchRegions(
            List<RequestBook> members,
            List<NodeBook> pool,
            Set<String> regions,
            @Nullable String preferred,
            Explanation why) {
        RequestBook lead = members.get(0);
        if (members.size() == 1 && lead.gpus <= state.largestNodeOf(lead.acceleratorType)) {
            Choice best = null;
            for (NodeBook n : pool) {
                if (!regions.contains(n.region)) {
                    continue;
                }
                Choice c = evaluate(n, lead, preferred, null, why);
                if (c != null && (best == null || c.betterThan(best))) {
                    best = c;
                }
            }
            if (best == null) {
                return null;
            }
            Placement p = new Placement();
            p.region = best.node.region;
            p.cluster = best.node.cluster;
            p.score = best.score;
            p.members.put(lead.requestId, best.member());
            addVictims(p, best.victims);
            return p;
        }
        // Gangs and requests bigger than a node: one cluster at a time, all or nothing.
        Placement best = null;
        int from = 0;
        while (from < pool.size()) {
            int to = from;
            String cluster = pool.get(from).cluster;
            while (to < pool.size() && pool.get(to).cluster.equals(cluster)) {
                to++;
            }
            List<NodeBook> nodes = pool.subList(from, to);
            from = to;
            if (!regions.contains(nodes.get(0).region)) {
                continue;
            }
            Placement p = placeInCluster(members, nodes, preferred, why);
            if (p != null && (best == null || better(p, best))) {
                best = p;
            }
        }
        return best;
    }

    private Placement placeInCluster(
            List<RequestBook> members,
            List<NodeBook> nodes,
            @Nullable String preferred,
            Explanation why) {
        Map<String, boolean[]> taken = new HashMap<>();
        Placement p = new Placement();
        p.region = nodes.get(0).region;
        p.cluster = nodes.get(0).cluster;
        double weighted = 0;
        int gpus = 0;
        for (int i = 0; i < members.size(); i++) {
            RequestBook m = members.get(i);
            Explanation explain = i == 0 ? why : null;
            Placement.Member placed;
            List<String> victims = new ArrayList<>();
            if (m.gpus <= state.largestNodeOf(m.acceleratorType)) {
                Choice best = null;
                for (NodeBook n : nodes) {
                    Choice c = evaluate(n, m, preferred, taken, explain);
                    if (c != null && (best == null || c.betterThan(best))) {
                        best = c;
                    }
                }
                if (best == null) {
                    return null;
                }
                placed = best.member();
                victims.addAll(best.victims);
                markTaken(taken, best.node, best.gpus);
            } else {
                placed = spread(m, nodes, preferred, taken, explain, victims);
                if (placed == null) {
                    return null;
                }
            }
            p.members.put(m.requestId, placed);
            addVictims(p, victims);
            weighted += placed.score() * m.gpus;
            gpus += m.gpus;
        }
        p.score = weighted / gpus;
        return p;
    }

    /** A request bigger than any node: whole nodes first (most usable GPUs), then by name. */
    private Placement.Member spread(
            RequestBook m,
            List<NodeBook> nodes,
            @Nullable String preferred,
            Map<String, boolean[]> taken,
            @Nullable Explanation why,
            List<String> victims) {
        List<Choice> usable = new ArrayList<>();
        for (NodeBook n : nodes) {
            Choice c = evaluatePartial(n, m, preferred, taken, why);
            if (c != null) {
                usable.add(c);
            }
        }
        usable.sort(
                Comparator.comparingInt((Choice c) -> -c.gpus.length)
                        .thenComparing(c -> c.node.key()));
        int remaining = m.gpus;
        List<Target> targets = new ArrayList<>();
        double weighted = 0;
        double[] parts = new double[6];
        for (Choice c : usable) {
            if (remaining == 0) {
                break;
            }
            int[] chosen = Arrays.copyOf(c.gpus, Math.min(remaining, c.gpus.length));
            Choice scored = score(c.node, m, chosen, c.chosenVictims(chosen), preferred, taken);
            targets.add(Target.of(c.node.region, c.node.cluster, c.node.node, sorted(chosen)));
            victims.addAll(scored.victims);
            markTaken(taken, c.node, chosen);
            remaining -= chosen.length;
            weighted += scored.score * chosen.length;
            addParts(parts, scored.parts, chosen.length);
        }
        if (remaining > 0) {
            return null;
        }
        for (int i = 0; i < parts.length; i++) {
            parts[i] /= m.gpus;
        }
        return new Placement.Member(targets, weighted / m.gpus, parts(parts));
    }

    /** The node for all of {@code m}'s GPUs, or null (and why, into {@code why}). */
    private Choice evaluate(
            NodeBook n,
            RequestBook m,
            @Nullable String preferred,
            @Nullable Map<String, boolean[]> taken,
            @Nullable Explanation why) {
        Choice usable = evaluatePartial(n, m, preferred, taken, why);
        if (usable == null) {
            return null;
        }
        if (usable.gpus.length < m.gpus) {
            if (why != null) {
                why.filter(usable.unreserved >= m.gpus ? FILTER_MEMORY : FILTER_FEW_GPUS);
                why.offer(n, usable.freeFitting, null);
            }
            return null;
        }
        int[] chosen = Arrays.copyOf(usable.gpus, m.gpus);
        Choice c = score(n, m, chosen, usable.chosenVictims(chosen), preferred, taken);
        if (why != null) {
            why.offer(n, usable.freeFitting, round(c.score));
        }
        return c;
    }

    /**
     * The GPUs of {@code n} that {@code m} could use, in the order to take them (free ones by
     * utilization, then preemptible ones, cheapest victims first); null when the node is out.
     */
    private Choice evaluatePartial(
            NodeBook n,
            RequestBook m,
            @Nullable String preferred,
            @Nullable Map<String, boolean[]> taken,
            @Nullable Explanation why) {
        if (why != null) {
            why.considered++;
        }
        if (!n.schedulable()) {
            if (why != null) {
                why.filter(n.status == null ? FILTER_NO_HEALTH : n.status.name());
            }
            return null;
        }
        long freshAfter = now - staleMillis;
        boolean[] takenHere = taken == null ? null : taken.get(n.key());
        int slots = n.readAt.length;
        int[] free = new int[slots];
        int freeCount = 0;
        int[] held = null;
        int heldCount = 0;
        int unreserved = 0;
        boolean anyFresh = false;
        for (int i = 0; i < slots; i++) {
            if (n.readAt[i] < freshAfter) {
                continue;
            }
            anyFresh = true;
            if (takenHere != null && i < takenHere.length && takenHere[i]) {
                continue;
            }
            String holder = n.reservedBy[i];
            if (holder == null) {
                unreserved++;
                if (n.memoryTotalMib[i] - n.memoryUsedMib[i] >= m.memoryPerGpuMib) {
                    free[freeCount++] = i;
                }
            } else if (preemptBelow >= 0
                    && n.memoryTotalMib[i] >= m.memoryPerGpuMib
                    && preemptible(holder)) {
                if (held == null) {
                    held = new int[slots];
                }
                held[heldCount++] = i;
            }
        }
        if (!anyFresh) {
            if (why != null) {
                why.filter(FILTER_STALE);
            }
            return null;
        }
        if (why != null) {
            why.mostFitting = Math.max(why.mostFitting, freeCount + heldCount);
        }
        if (freeCount + heldCount == 0) {
            if (why != null) {
                why.filter(unreserved > 0 ? FILTER_MEMORY : FILTER_FEW_GPUS);
                why.offer(n, 0, null);
            }
            return null;
        }
        // Least utilized first (insertion sort: a node has a handful of GPUs).
        int[] gpus = new int[freeCount + heldCount];
        for (int k = 0; k < freeCount; k++) {
            int gpu = free[k];
            int j = k - 1;
            while (j >= 0 && n.utilizationPct[gpus[j]] > n.utilizationPct[gpu]) {
                gpus[j + 1] = gpus[j];
                j--;
            }
            gpus[j + 1] = gpu;
        }
        if (heldCount > 0) {
            Integer[] victimsOrder = new Integer[heldCount];
            for (int i = 0; i < heldCount; i++) {
                victimsOrder[i] = held[i];
            }
            Arrays.sort(victimsOrder, victimOrder(n));
            for (int i = 0; i < heldCount; i++) {
                gpus[freeCount + i] = victimsOrder[i];
            }
        }
        Choice c = new Choice();
        c.node = n;
        c.gpus = gpus;
        c.freeFitting = freeCount;
        c.unreserved = unreserved;
        return c;
    }

    /** Cheapest victims first: lowest priority, then the most recently placed, then by id. */
    private Comparator<Integer> victimOrder(NodeBook n) {
        return Comparator.comparingInt((Integer i) -> state.request(n.reservedBy[i]).priority)
                .thenComparingLong(i -> -state.request(n.reservedBy[i]).placedAt)
                .thenComparing(i -> n.reservedBy[i])
                .thenComparingInt(i -> i);
    }

    /** Whether the work holding a GPU may be evicted: placed, not ours, all of it lower. */
    private boolean preemptible(String holder) {
        return preemptible.computeIfAbsent(
                holder,
                id -> {
                    if (unitIds.contains(id)) {
                        return false;
                    }
                    RequestBook r = state.request(id);
                    if (r == null || r.phase != RequestPhase.PLACED) {
                        return false;
                    }
                    return evictionPriority(r) < preemptBelow;
                });
    }

    /** A gang is evicted whole, so its highest member's priority counts. */
    private int evictionPriority(RequestBook r) {
        if (r.gangId == null) {
            return r.priority;
        }
        int most = r.priority;
        for (RequestBook member : state.gang(r.gangId)) {
            most = Math.max(most, member.priority);
        }
        return most;
    }

    private Choice score(
            NodeBook n,
            RequestBook m,
            int[] chosen,
            List<String> victims,
            @Nullable String preferred,
            @Nullable Map<String, boolean[]> taken) {
        int known = 0;
        int reserved = 0;
        double limitSum = 0;
        double headroom = 0;
        long freshAfter = now - staleMillis;
        boolean[] takenHere = taken == null ? null : taken.get(n.key());
        for (int i = 0; i < n.readAt.length; i++) {
            if (n.readAt[i] == Long.MIN_VALUE) {
                continue;
            }
            known++;
            if (n.reservedBy[i] != null
                    || (takenHere != null && i < takenHere.length && takenHere[i])) {
                reserved++;
            }
            if (n.readAt[i] >= freshAfter
                    && !Double.isNaN(n.powerLimitW[i])
                    && n.powerLimitW[i] > 0) {
                limitSum += n.powerLimitW[i];
                headroom += Math.max(0, n.powerLimitW[i] - n.powerDrawW[i]);
            }
        }
        int newlyReserved = 0;
        double utilization = 0;
        for (int i : chosen) {
            if (n.reservedBy[i] == null) {
                newlyReserved++;
            }
            utilization += n.utilizationPct[i];
        }
        int after = reserved + newlyReserved;
        double packing =
                policy.placement() == PlacementStrategy.BIN_PACK
                        ? PACKING * after / known
                        : PACKING * (known - after) / known;
        double util = UTILIZATION * clamp(1 - utilization / chosen.length / 100.0);
        double power = limitSum > 0 ? POWER * clamp(headroom / limitSum) : POWER / 2;
        double warm = m.modelKey() != null && serves(n, m.modelKey()) ? WARM : 0;
        double health = n.status == NodeStatus.WATCH ? WATCH_PENALTY : 0;
        double region =
                preferred == null
                        ? 0
                        : -policy.crossRegionPenalty() * policy.distance(preferred, n.region);
        Choice c = new Choice();
        c.node = n;
        c.gpus = chosen;
        c.victims = victims;
        c.parts = new double[] {packing, util, power, warm, health, region};
        c.score = packing + util + power + warm + health + region;
        if (!victims.isEmpty()) {
            for (String v : victims) {
                RequestBook r = state.request(v);
                c.maxVictimPriority = Math.max(c.maxVictimPriority, evictionPriority(r));
            }
            c.victimGpus = victimGpus(victims);
        }
        return c;
    }

    private int victimGpus(List<String> victims) {
        TreeSet<String> all = new TreeSet<>();
        for (String v : victims) {
            RequestBook r = state.request(v);
            if (r.gangId != null) {
                state.gang(r.gangId).forEach(member -> all.add(member.requestId));
            } else {
                all.add(v);
            }
        }
        int gpus = 0;
        for (String id : all) {
            gpus += state.request(id).gpus;
        }
        return gpus;
    }

    /** Whether an inference request of {@code modelKey} holds GPUs on the node. */
    private boolean serves(NodeBook n, String modelKey) {
        String last = null;
        for (String holder : n.reservedBy) {
            if (holder == null || holder.equals(last)) {
                continue;
            }
            last = holder;
            RequestBook r = state.request(holder);
            if (r != null && modelKey.equals(r.modelKey())) {
                return true;
            }
        }
        return false;
    }

    private void addVictims(Placement p, List<String> victims) {
        for (String v : victims) {
            RequestBook r = state.request(v);
            if (r.gangId != null) {
                state.gang(r.gangId).stream()
                        .filter(member -> member.phase == RequestPhase.PLACED)
                        .forEach(member -> p.victims.add(member.requestId));
            } else {
                p.victims.add(v);
            }
            p.maxVictimPriority = Math.max(p.maxVictimPriority, evictionPriority(r));
        }
        p.victimGpus = p.victims.isEmpty() ? 0 : victimGpus(new ArrayList<>(p.victims));
    }

    private static void markTaken(Map<String, boolean[]> taken, NodeBook n, int[] gpus) {
        boolean[] marks = taken.computeIfAbsent(n.key(), k -> new boolean[n.readAt.length]);
        for (int i : gpus) {
            marks[i] = true;
        }
    }

    /** Between two placements: the cheaper eviction, then the higher score, then the name. */
    private static boolean better(Placement a, Placement b) {
        if (a.maxVictimPriority != b.maxVictimPriority) {
            return a.maxVictimPriority < b.maxVictimPriority;
        }
        if (a.victimGpus != b.victimGpus) {
            return a.victimGpus < b.victimGpus;
        }
        if (a.score != b.score) {
            return a.score > b.score;
        }
        return a.cluster.compareTo(b.cluster) < 0;
    }

    private boolean regionHealthy(String region) {
        int healthy = 0;
        int total = 0;
        for (ClusterView view : state.clusters()) {
            if (view.region.equals(region)) {
                healthy += view.healthyNodes;
                total += view.totalNodes;
            }
        }
        return total == 0 || healthy >= policy.unhealthyRegionBelow() * total;
    }

    private String regionHealth(String region) {
        int healthy = 0;
        int total = 0;
        for (ClusterView view : state.clusters()) {
            if (view.region.equals(region)) {
                healthy += view.healthyNodes;
                total += view.totalNodes;
            }
        }
        return healthy + " of " + total + " nodes healthy in its latest capacity reports";
    }

    private static void addParts(double[] sum, double[] parts, int weight) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += parts[i] * weight;
        }
    }

    static ScoreParts parts(double[] p) {
        return new ScoreParts(
                round(p[0]), round(p[1]), round(p[2]), round(p[3]), round(p[4]), round(p[5]));
    }

    static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    private static double clamp(double value) {
        return Math.max(0, Math.min(1, value));
    }

    /** One node's offer for one member. */
    private final class Choice {
        NodeBook node;
        int[] gpus;
        int freeFitting;
        int unreserved;
        double score;
        double[] parts;
        List<String> victims = List.of();
        int maxVictimPriority = -1;
        int victimGpus;

        List<String> chosenVictims(int[] chosen) {
            List<String> victims = new ArrayList<>();
            for (int i : chosen) {
                String holder = node.reservedBy[i];
                if (holder != null && !victims.contains(holder)) {
                    victims.add(holder);
                }
            }
            return victims;
        }

        Placement.Member member() {
            return new Placement.Member(
                    List.of(Target.of(node.region, node.cluster, node.node, sorted(gpus))),
                    score,
                    parts(parts));
        }

        boolean betterThan(Choice other) {
            if (maxVictimPriority != other.maxVictimPriority) {
                return maxVictimPriority < other.maxVictimPriority;
            }
            if (victimGpus != other.victimGpus) {
                return victimGpus < other.victimGpus;
            }
            if (score != other.score) {
                return score > other.score;
            }
            return node.key().compareTo(other.node.key()) < 0;
        }
    }

    private static int[] sorted(int[] gpus) {
        int[] copy = gpus.clone();
        Arrays.sort(copy);
        return copy;
    }
}
