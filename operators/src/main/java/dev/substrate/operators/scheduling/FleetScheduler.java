package dev.substrate.operators.scheduling;

import dev.substrate.events.DecisionTarget;
import dev.substrate.events.NodeStatus;
import dev.substrate.events.PlacementCandidate;
import dev.substrate.events.QuotaView;
import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.config.OverQuotaAction;
import dev.substrate.operators.scheduling.config.PreemptionPolicy;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.config.TenantQuota;
import dev.substrate.operators.scheduling.state.BufferedInput;
import dev.substrate.operators.scheduling.state.ClusterView;
import dev.substrate.operators.scheduling.state.NodeBook;
import dev.substrate.operators.scheduling.state.RequestBook;
import dev.substrate.operators.scheduling.state.RequestPhase;
import dev.substrate.operators.scheduling.state.Target;
import dev.substrate.operators.scheduling.state.TenantBook;
import dev.substrate.operators.scheduling.state.WaitCause;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import javax.annotation.Nullable;

/**
 * The scheduling rules, in plain Java over a {@link SchedulerState}: requests and their life,
 * tenant quotas and token buckets, placement with reservations and their expiry, gangs all or
 * nothing, preemption, failover off DOWN and DRAIN nodes, cross-region reroute, and a queue ordered
 * by priority (raised by age), then fair share, then arrival. Every change of a request's standing
 * is a {@link SchedulingDecision} with its reason in words and the state it read.
 *
 * <p>It is driven in event time by its host ({@link SchedulerFunction}), one instant at a time:
 *
 * <pre>{@code
 * scheduler.runDue(t, wall);          // expiries, deadlines, token refills due by t
 * scheduler.signal(signal, wall);     // the instant's fleet signals, then its requests
 * scheduler.request(request, wall);
 * scheduler.retryQueued();            // queued requests, if capacity freed
 * }</pre>
 *
 * Decisions depend on nothing but the inputs and the event time: no wall clock (except the latency
 * the record reports), no hash order, no randomness. The same inputs in the same event-time order
 * give the same decisions, however they arrived.
 */
public final class FleetScheduler {

    /** Queued units that may try to preempt in one retry pass: eviction search is costly. */
    static final int PREEMPTION_TRIES_PER_PASS = 8;

    private final SchedulerConfig config;
    private final SchedulerPolicy policy;
    private final SchedulerState state;
    private final TenantAccounts accounts;
    private final PlacementSearch search;
    private final Consumer<SchedulingDecision> out;
    private final LongSupplier wallClock;

    private final TreeSet<String> freedTypes = new TreeSet<>();

    /**
     * Nodes that went DOWN or DRAIN in the instant being decided, in the order their signals came:
     * their work moves only once every signal of the instant is known, so that nothing is moved
     * onto a node that fails at the same instant (a whole region going silent at once).
     */
    private final List<String> failedThisInstant = new ArrayList<>();

    private boolean inStep;
    private final TreeSet<String> retryNow = new TreeSet<>();
    private final List<Long> newDueTimes = new ArrayList<>();
    private long now = Long.MIN_VALUE;
    private long triggerArrivedAt;

    public FleetScheduler(
            SchedulerConfig config,
            SchedulerState state,
            Consumer<SchedulingDecision> out,
            LongSupplier wallClock) {
        this.config = config;
        this.policy = config.policy();
        this.state = state;
        this.accounts = new TenantAccounts(config, state);
        this.search = new PlacementSearch(policy, state);
        this.out = out;
        this.wallClock = wallClock;
    }

    public SchedulerState state() {
        return state;
    }

    /** Event time moves to {@code t} (never back: a late input is decided at the latest time). */
    private void at(long t) {
        now = Math.max(t, state.clock().decidedUpTo);
        if (now != state.clock().decidedUpTo) {
            state.clock().decidedUpTo = now;
            state.touchClock();
        }
    }

    /** The event time decisions are being taken at. */
    public long now() {
        return now;
    }

    /** Due times added since the last call, for the host to set timers at. */
    public List<Long> takeNewDueTimes() {
        List<Long> times = new ArrayList<>(newDueTimes);
        newDueTimes.clear();
        return times;
    }

    /** The earliest time something is due, or null. */
    @Nullable
    public Long nextDue() {
        return state.nextDue();
    }

    private void due(long at, String requestId) {
        state.addDue(at, requestId);
        newDueTimes.add(at);
    }

    /** The order of one instant's inputs: signals, then request ends, starts, submissions. */
    static final Comparator<BufferedInput> INPUT_ORDER =
            Comparator.comparingInt(FleetScheduler::rank)
                    .thenComparing(
                            (a, b) ->
                                    a.signal != null
                                            ? FleetSignal.ORDER.compare(a.signal, b.signal)
                                            : 0)
                    .thenComparing(in -> in.request == null ? "" : in.request.getRequestId())
                    .thenComparing(in -> in.request == null ? "" : in.request.getEventId());

    private static int rank(BufferedInput in) {
        if (in.signal != null) {
            return 0;
        }
        return switch (in.request.getLifecycle()) {
            case COMPLETED, RELEASED, CANCELLED -> 1;
            case STARTED -> 2;
            case SUBMITTED -> 3;
        };
    }

    /**
     * Decides one instant of event time: what is due by it, then its inputs in {@link
     * #INPUT_ORDER}, then the queue.
     *
     * @param wall the wall-clock time now, for the latency of decisions no input triggered
     */
    public void step(long at, List<BufferedInput> inputs, long wall) {
        long earliest = wall;
        for (BufferedInput in : inputs) {
            earliest = Math.min(earliest, in.arrivedAt);
        }
        runDue(at, earliest);
        List<BufferedInput> ordered = new ArrayList<>(inputs);
        ordered.sort(INPUT_ORDER);
        // Signals sort first: all of them are applied before any failed node's work moves.
        inStep = true;
        try {
            for (BufferedInput in : ordered) {
                if (in.signal != null) {
                    signal(in.signal, in.arrivedAt);
                } else {
                    failoverFailed();
                    request(in.request, in.arrivedAt);
                }
            }
        } finally {
            inStep = false;
        }
        failoverFailed();
        retryQueued();
    }

    /** Moves the work of the nodes that failed in this instant and are still DOWN or DRAIN. */
    private void failoverFailed() {
        List<String> failed = new ArrayList<>(failedThisInstant);
        failedThisInstant.clear();
        for (String key : failed) {
            NodeBook n = state.node(key);
            if (n != null && (n.status == NodeStatus.DOWN || n.status == NodeStatus.DRAIN)) {
                failover(n);
            }
        }
    }

    // ------------------------------------------------------------------ due work

    /**
     * Runs what is due by {@code t}, one due instant at a time, each followed by the retries it
     * makes possible: reservations that expire, queued requests past their deadline, token waits
     * that end, ended requests to forget.
     */
    public void runDue(long t, long arrivedAt) {
        triggerArrivedAt = arrivedAt;
        // One instant at a time, looking again after each: an instant's work may set something
        // due by t (a token wait that fails again, a reservation made), and it must run at its
        // own instant in this call. Taking every instant up front left such a due for whichever
        // later entry came next, and entries no book names any more (an expiry of work since
        // preempted) are not persisted, so a restored scheduler decided it at another time.
        for (Long d = state.nextDue(); d != null && d <= t; d = state.nextDue()) {
            at(d);
            for (String id : state.takeDue(d).get(d)) {
                RequestBook r = state.request(id);
                if (r != null) {
                    dueFor(r, d);
                }
            }
            retryQueued();
        }
    }

    private void dueFor(RequestBook r, long d) {
        if (r.phase == RequestPhase.ENDED) {
            if (r.forgetAt != RequestBook.NONE && r.forgetAt <= d) {
                forget(r);
            }
        } else if (r.phase == RequestPhase.PLACED) {
            if (!r.started && r.expiresAt != RequestBook.NONE && r.expiresAt <= d) {
                expire(r);
            }
        } else {
            if (r.deadline != RequestBook.NONE && r.deadline <= d && r.waiting != null) {
                List<RequestBook> unit = unitOf(r);
                reject(
                        unit,
                        "its deadline "
                                + DecisionText.time(r.deadline)
                                + " passed while it waited ("
                                + describeWait(r)
                                + ")",
                        "deadline");
            } else if (r.retryAt != RequestBook.NONE && r.retryAt <= d) {
                r.retryAt = RequestBook.NONE;
                state.touch(r);
                retryNow.add(r.requestId);
            }
        }
    }

    private void forget(RequestBook r) {
        state.removeRequest(r.requestId);
        TenantBook tenant = state.tenant(r.tenant);
        if (tenant != null
                && tenant.live == 0
                && tenant.totalInUse() == 0
                && accounts.decayedAt(tenant, now) < 1.0
                && bucketsFull(tenant)) {
            state.removeTenant(r.tenant);
        }
    }

    private boolean bucketsFull(TenantBook tenant) {
        TenantQuota quota = config.quotaOf(tenant.tenant);
        if (quota == null || quota.inference() == null || Double.isNaN(tenant.requestTokens)) {
            return true;
        }
        QuotaView view = accounts.view(tenant.tenant, quota, "", now);
        return view.getRequestTokensLeft() >= quota.inference().requestsPerMinute()
                && view.getTokenTokensLeft() >= quota.inference().tokensPerMinute();
    }

    private void expire(RequestBook r) {
        List<RequestBook> unit = placedUnitOf(r);
        for (RequestBook member : unit) {
            String reason =
                    member == r
                            ? "its reservation expired: no STARTED event within "
                                    + DecisionText.duration(policy.reservationTimeout().toMillis())
                                    + " of its placement at "
                                    + DecisionText.time(r.placedAt)
                            : "gang "
                                    + r.gangId
                                    + " is freed as a whole: the reservation of its member "
                                    + r.requestId
                                    + " expired without a STARTED event";
            end(member, reason, "reservation expired");
        }
    }

    // ------------------------------------------------------------------ fleet signals

    /** A GPU reading, node-health change, capacity report or tick, at its event time. */
    public void signal(FleetSignal s, long arrivedAt) {
        triggerArrivedAt = arrivedAt;
        at(s.at);
        switch (s.kind) {
            case READING -> reading(s);
            case HEALTH -> health(s);
            case CAPACITY -> capacity(s);
            case TICK -> {}
        }
        if (!inStep) {
            failoverFailed();
        }
    }

    private void reading(FleetSignal s) {
        String key = NodeBook.key(s.cluster, s.node);
        NodeBook n = state.node(key);
        if (n == null) {
            n = state.addNode(NodeBook.of(s.region, s.cluster, s.node));
        }
        if (s.gpuIndex < 0) {
            return;
        }
        boolean newGpu = s.gpuIndex >= n.readAt.length || n.readAt[s.gpuIndex] == Long.MIN_VALUE;
        boolean wasStale =
                !newGpu && n.readAt[s.gpuIndex] < now - policy.telemetryStaleAfter().toMillis();
        if (s.model != null && !s.model.equals(n.acceleratorType)) {
            n.acceleratorType = s.model;
            state.nodeShapeChanged();
        }
        n.ensureGpu(s.gpuIndex);
        int i = s.gpuIndex;
        if (n.readAt[i] > s.at) {
            return;
        }
        n.memoryTotalMib[i] = s.memoryTotalMib;
        n.memoryUsedMib[i] = s.memoryUsedMib;
        n.utilizationPct[i] = s.utilizationPct;
        n.powerDrawW[i] = s.powerDrawW;
        n.powerLimitW[i] = s.powerLimitW;
        n.readAt[i] = s.at;
        n.lastHeardAt = Math.max(n.lastHeardAt, s.at);
        state.touch(n);
        if (newGpu) {
            state.nodeShapeChanged();
        }
        if ((newGpu || wasStale) && n.schedulable()) {
            freedTypes.add(n.acceleratorType);
        }
    }

    private void health(FleetSignal s) {
        String key = NodeBook.key(s.cluster, s.node);
        NodeBook n = state.node(key);
        if (n == null) {
            n = state.addNode(NodeBook.of(s.region, s.cluster, s.node));
        }
        boolean wasSchedulable = n.schedulable();
        n.status = s.status;
        n.healthChangedAt = s.at;
        n.healthReason = s.detail;
        n.lastHeardAt = Math.max(n.lastHeardAt, s.at);
        state.touch(n);
        if (s.at > state.clock().healthVersion) {
            state.clock().healthVersion = s.at;
            state.touchClock();
        }
        if (s.status == NodeStatus.DOWN || s.status == NodeStatus.DRAIN) {
            if (!failedThisInstant.contains(key)) {
                failedThisInstant.add(key);
            }
        } else if (!wasSchedulable && n.schedulable() && n.acceleratorType != null) {
            freedTypes.add(n.acceleratorType);
        }
    }

    private void capacity(FleetSignal s) {
        ClusterView view = state.cluster(s.cluster);
        boolean healthier = view == null || s.healthyNodes > view.healthyNodes;
        view = view == null ? new ClusterView() : view;
        view.region = s.region;
        view.cluster = s.cluster;
        view.healthyNodes = s.healthyNodes;
        view.totalNodes = s.totalNodes;
        view.reportedAt = s.at;
        state.putCluster(view);
        if (s.at > state.clock().capacityVersion) {
            state.clock().capacityVersion = s.at;
            state.touchClock();
        }
        if (healthier) {
            // A region may be healthy again: what waits may fit there now.
            freedTypes.addAll(state.pendingTypes());
        }
        forgetSilentNodes(s.cluster);
    }

    /** Nodes of the cluster not heard of for the retention, holding nothing, are forgotten. */
    private void forgetSilentNodes(String cluster) {
        long before = now - policy.finishedRetention().toMillis();
        List<String> gone = new ArrayList<>();
        for (NodeBook n : state.nodes()) {
            if (n.cluster.equals(cluster) && n.lastHeardAt < before && n.reservedGpus() == 0) {
                gone.add(n.key());
            }
        }
        gone.forEach(state::removeNode);
    }

    /** Everything placed on a node that went DOWN or DRAIN moves, or waits again. */
    private void failover(NodeBook failed) {
        TreeSet<String> holders = new TreeSet<>();
        for (String holder : failed.reservedBy) {
            if (holder != null) {
                holders.add(holder);
            }
        }
        if (holders.isEmpty()) {
            return;
        }
        List<List<RequestBook>> units = new ArrayList<>();
        TreeSet<String> seen = new TreeSet<>();
        for (String id : holders) {
            RequestBook r = state.request(id);
            if (r == null || seen.contains(id)) {
                continue;
            }
            List<RequestBook> unit = placedUnitOf(r);
            unit.forEach(m -> seen.add(m.requestId));
            units.add(unit);
        }
        units.sort(
                Comparator.comparingInt((List<RequestBook> u) -> -u.get(0).priority)
                        .thenComparingLong(u -> u.get(0).arrival));
        String why =
                "node "
                        + failed.key()
                        + " went "
                        + failed.status
                        + " at "
                        + DecisionText.time(now)
                        + (failed.healthReason == null ? "" : " (" + failed.healthReason + ")");
        for (List<RequestBook> unit : units) {
            Map<String, List<Target>> before = new LinkedHashMap<>();
            for (RequestBook m : unit) {
                before.put(m.requestId, List.of(m.copyTargets()));
                free(m);
            }
            PlacementSearch.Result found = search.find(unit, now, -1);
            if (found.placement() != null) {
                Placement p = found.placement();
                for (RequestBook m : sortedById(unit)) {
                    QuotaView quota = quotaView(m);
                    Placement.Member member = p.members.get(m.requestId);
                    reserve(m, member.targets());
                    String where =
                            p.notPreferredBecause == null
                                    ? ""
                                    : "; outside its preferred region, as " + p.notPreferredBecause;
                    emit(
                            m,
                            SchedulingAction.RESCHEDULE,
                            why
                                    + "; moved from "
                                    + DecisionText.targets(before.get(m.requestId))
                                    + " to "
                                    + DecisionText.targets(member.targets())
                                    + where
                                    + " ("
                                    + DecisionText.score(member.score(), member.parts())
                                    + ")",
                            failed.key(),
                            member,
                            found.explanation(),
                            quota);
                }
            } else {
                for (RequestBook m : unit) {
                    freedTypes.add(m.acceleratorType);
                }
                for (RequestBook m : sortedById(unit)) {
                    m.phase = RequestPhase.PENDING;
                    m.waiting = null;
                    m.queuedSince = RequestBook.NONE;
                    enqueue(
                            m,
                            WaitCause.CAPACITY,
                            why
                                    + "; no other node has room, so it waits again ("
                                    + found.explanation().summary()
                                    + ")",
                            failed.key(),
                            found.explanation(),
                            true);
                }
            }
        }
    }

    // ------------------------------------------------------------------ requests

    /** A request's submission, start or end, at its event time. */
    public void request(WorkloadRequest r, long arrivedAt) {
        triggerArrivedAt = arrivedAt;
        at(r.getTimestamp().toEpochMilli());
        RequestBook book = state.request(r.getRequestId());
        switch (r.getLifecycle()) {
            case SUBMITTED -> {
                if (book == null) {
                    // Capacity freed at this instant goes to the queue before newcomers.
                    retryQueued();
                    submit(r);
                }
                // A repeated submission of a known request changes nothing.
            }
            case STARTED -> {
                if (book != null && book.phase != RequestPhase.ENDED) {
                    book.ready = true;
                    if (book.phase == RequestPhase.PLACED) {
                        book.started = true;
                        book.expiresAt = RequestBook.NONE;
                    }
                    state.touch(book);
                }
            }
            case COMPLETED, RELEASED, CANCELLED -> {
                if (book != null && book.phase != RequestPhase.ENDED) {
                    finish(book, r.getLifecycle().name());
                }
            }
        }
    }

    private void submit(WorkloadRequest submission) {
        RequestBook r = RequestBook.of(submission, state.clock().arrivals++);
        state.touchClock();
        state.addRequest(r);
        TenantBook tenant = state.tenantOrNew(r.tenant);
        tenant.live++;
        state.touch(tenant);
        if (config.quotaOf(r.tenant) == null) {
            reject(
                    List.of(r),
                    "tenant "
                            + r.tenant
                            + " has no quota in "
                            + config.source()
                            + " and the file has no default_tenant",
                    null);
            return;
        }
        if (r.gangId == null) {
            admit(List.of(r), true);
            return;
        }
        state.joinGang(r);
        List<RequestBook> gang = state.gang(r.gangId);
        RequestBook first = gang.get(0);
        for (RequestBook m : gang) {
            if (m.arrival < first.arrival) {
                first = m;
            }
        }
        if (!first.tenant.equals(r.tenant) || first.gangSize != r.gangSize) {
            state.leaveGang(r);
            reject(
                    List.of(r),
                    "it does not match gang "
                            + r.gangId
                            + ": the gang is tenant "
                            + first.tenant
                            + "'s with "
                            + first.gangSize
                            + " members, this request says tenant "
                            + r.tenant
                            + " and "
                            + r.gangSize,
                    first.requestId);
            return;
        }
        long submitted = gang.stream().filter(m -> m.phase != RequestPhase.ENDED).count();
        if (submitted > r.gangSize) {
            state.leaveGang(r);
            reject(
                    List.of(r),
                    "gang " + r.gangId + " already has its " + r.gangSize + " members",
                    first.requestId);
            return;
        }
        if (submitted < r.gangSize) {
            enqueue(
                    r,
                    WaitCause.GANG,
                    "gang "
                            + r.gangId
                            + ": "
                            + submitted
                            + " of "
                            + r.gangSize
                            + " members submitted; the gang is placed, all or nothing, once all"
                            + " are",
                    null,
                    null,
                    false);
            return;
        }
        admit(gang, true);
    }

    private void finish(RequestBook r, String lifecycle) {
        String word = lifecycle.toLowerCase();
        if (r.phase == RequestPhase.PLACED) {
            end(
                    r,
                    word
                            + ": its "
                            + DecisionText.gpus(r.gpus, r.acceleratorType)
                            + " on "
                            + DecisionText.targets(List.of(r.targets))
                            + " are free",
                    null);
            return;
        }
        boolean gangWaiting = r.gangId != null;
        end(r, word + " while it waited (" + describeWait(r) + "); it held nothing", null);
        if (gangWaiting) {
            // The gang can never be complete now.
            List<RequestBook> rest = new ArrayList<>();
            for (RequestBook m : state.gang(r.gangId)) {
                if (m.phase == RequestPhase.PENDING) {
                    rest.add(m);
                }
            }
            if (!rest.isEmpty()) {
                reject(
                        rest,
                        "gang "
                                + r.gangId
                                + " lost its member "
                                + r.requestId
                                + " ("
                                + lifecycle
                                + ") before it was placed",
                        r.requestId);
            }
        }
    }

    // ------------------------------------------------------------------ admission

    /**
     * Tries to place a unit (a request, or a complete gang): quota, token buckets, placement, then
     * preemption; else it waits or is rejected. Returns whether it was placed.
     */
    private boolean admit(List<RequestBook> unit, boolean mayPreempt) {
        List<RequestBook> members = sortedById(unit);
        RequestBook lead = members.get(0);
        TenantQuota quota = config.quotaOf(lead.tenant);
        TenantAccounts.Check quotaCheck =
                accounts.quota(lead.tenant, quota, TenantAccounts.demand(members));
        if (!quotaCheck.ok()) {
            return overQuota(members, quota, quotaCheck, WaitCause.QUOTA);
        }
        int inference = 0;
        long tokens = 0;
        for (RequestBook m : members) {
            if (m.inference()) {
                inference++;
                tokens += Math.max(0, m.tokensPerMinute);
            }
        }
        TenantAccounts.Check bucketCheck =
                accounts.buckets(lead.tenant, quota, inference, tokens, now);
        if (!bucketCheck.ok()) {
            return overQuota(members, quota, bucketCheck, WaitCause.TOKENS);
        }
        Map<String, QuotaView> quotaBefore = new HashMap<>();
        for (RequestBook m : members) {
            quotaBefore.put(m.requestId, quotaView(m));
        }
        PlacementSearch.Result found = search.find(members, now, -1);
        boolean triedPreemption = false;
        if (found.placement() == null
                && mayPreempt
                && policy.preemption() == PreemptionPolicy.LOWER_PRIORITY) {
            triedPreemption = true;
            // The priority asked for, not the aged one: age orders the queue but gives no right
            // to evict running work.
            int priority = Integer.MAX_VALUE;
            for (RequestBook m : members) {
                priority = Math.min(priority, m.priority);
            }
            PlacementSearch.Result withEviction = search.find(members, now, priority);
            if (withEviction.placement() != null) {
                found =
                        new PlacementSearch.Result(
                                withEviction.placement(), withEviction.explanation());
            }
        }
        if (found.placement() == null) {
            String reason =
                    "no node has room for "
                            + describeDemand(members)
                            + " ("
                            + found.explanation().summary()
                            + ")"
                            + (triedPreemption
                                    ? "; no lower-priority work could be evicted to make room"
                                    : "");
            for (RequestBook m : members) {
                enqueue(m, WaitCause.CAPACITY, reason, null, found.explanation(), false);
            }
            return false;
        }
        place(
                members,
                found.placement(),
                found.explanation(),
                quotaBefore,
                quota,
                inference,
                tokens);
        return true;
    }

    private boolean overQuota(
            List<RequestBook> members,
            TenantQuota quota,
            TenantAccounts.Check check,
            WaitCause cause) {
        if (check.verdict() == TenantAccounts.Verdict.NEVER) {
            reject(members, check.reason(), null);
        } else if (quota.overQuota() == OverQuotaAction.REJECT) {
            reject(
                    members,
                    check.reason() + "; its over_quota policy is REJECT, so it does not wait",
                    null);
        } else {
            for (RequestBook m : members) {
                if (cause == WaitCause.TOKENS) {
                    m.retryAt = check.retryAt();
                    due(m.retryAt, m.requestId);
                }
                enqueue(
                        m,
                        cause,
                        check.reason()
                                + (cause == WaitCause.TOKENS
                                        ? "; tried again at " + DecisionText.time(check.retryAt())
                                        : "; it waits until the tenant frees GPUs or the pool has"
                                                + " room"),
                        null,
                        null,
                        false);
            }
        }
        return false;
    }

    private void place(
            List<RequestBook> members,
            Placement p,
            PlacementSearch.Explanation why,
            Map<String, QuotaView> quotaBefore,
            TenantQuota quota,
            int inference,
            long tokens) {
        RequestBook lead = members.get(0);
        List<String> evicted = new ArrayList<>();
        for (String victimId : p.victims) {
            RequestBook victim = state.request(victimId);
            evict(victim, lead, p);
            evicted.add(victimId + " (priority " + victim.priority + ")");
        }
        if (inference > 0) {
            accounts.charge(state.tenantOrNew(lead.tenant), quota, inference, tokens, now);
        }
        boolean outside = p.notPreferredBecause != null;
        for (RequestBook m : members) {
            Placement.Member member = p.members.get(m.requestId);
            long waitedSince = m.queuedSince;
            reserve(m, member.targets());
            StringBuilder reason = new StringBuilder();
            if (outside) {
                reason.append(p.notPreferredBecause).append("; so placed in ").append(p.region);
            } else {
                reason.append("placed");
                if (m.preferredRegion != null) {
                    reason.append(" in its preferred region ").append(p.region);
                }
            }
            reason.append(" on ").append(DecisionText.targets(member.targets()));
            if (members.size() > 1) {
                reason.append(", with the other ")
                        .append(members.size() - 1)
                        .append(" members of gang ")
                        .append(m.gangId)
                        .append(" in ")
                        .append(p.cluster);
            }
            reason.append(": the best of ")
                    .append(why.considered)
                    .append(" nodes checked (")
                    .append(DecisionText.score(member.score(), member.parts()))
                    .append(')');
            if (waitedSince != RequestBook.NONE) {
                reason.append(" after waiting ").append(DecisionText.duration(now - waitedSince));
            }
            if (!evicted.isEmpty()) {
                reason.append("; preempted ").append(String.join(", ", evicted));
            }
            QuotaView q = quotaBefore.get(m.requestId);
            reason.append("; tenant ")
                    .append(m.tenant)
                    .append(" now uses ")
                    .append(
                            q.getGpusInUse()
                                    + members.stream()
                                            .filter(
                                                    o ->
                                                            o.acceleratorType.equals(
                                                                    m.acceleratorType))
                                            .mapToInt(o -> o.gpus)
                                            .sum())
                    .append(" of its ")
                    .append(q.getNominal())
                    .append(" nominal ")
                    .append(m.acceleratorType)
                    .append(" GPUs");
            emit(
                    m,
                    outside ? SchedulingAction.REROUTE : SchedulingAction.ASSIGN,
                    reason.toString(),
                    evicted.isEmpty() ? null : String.join(",", p.victims),
                    member,
                    why,
                    q,
                    waitedSince);
        }
    }

    /** Takes the GPUs of {@code targets} for {@code m}. */
    private void reserve(RequestBook m, List<Target> targets) {
        for (Target t : targets) {
            NodeBook n = state.node(t.nodeKey());
            for (int i : t.gpuIndices) {
                if (n.reservedBy[i] != null) {
                    throw new IllegalStateException(
                            "GPU "
                                    + i
                                    + " of "
                                    + t.nodeKey()
                                    + " is held by "
                                    + n.reservedBy[i]
                                    + "; cannot give it to "
                                    + m.requestId);
                }
                n.reservedBy[i] = m.requestId;
            }
            state.touch(n);
        }
        accounts.take(m, now);
        state.pending(m, false);
        m.phase = RequestPhase.PLACED;
        m.waiting = null;
        m.queuedSince = RequestBook.NONE;
        m.retryAt = RequestBook.NONE;
        m.targets = targets.stream().map(Target::copy).toArray(Target[]::new);
        m.placedAt = now;
        m.started = m.ready;
        m.expiresAt = RequestBook.NONE;
        if (!m.started) {
            m.expiresAt = now + policy.reservationTimeout().toMillis();
            due(m.expiresAt, m.requestId);
        }
        state.touch(m);
    }

    /** Gives back every GPU {@code m} holds. */
    private void free(RequestBook m) {
        if (m.phase != RequestPhase.PLACED) {
            return;
        }
        for (Target t : m.targets) {
            NodeBook n = state.node(t.nodeKey());
            if (n == null) {
                continue;
            }
            for (int i : t.gpuIndices) {
                if (i < n.reservedBy.length && m.requestId.equals(n.reservedBy[i])) {
                    n.reservedBy[i] = null;
                }
            }
            state.touch(n);
        }
        accounts.give(m, now);
        m.targets = new Target[0];
        m.started = false;
        m.expiresAt = RequestBook.NONE;
        state.touch(m);
    }

    private void evict(RequestBook victim, RequestBook by, Placement p) {
        List<Target> held = List.of(victim.copyTargets());
        QuotaView quota = quotaView(victim);
        free(victim);
        // The preemptor takes only what it needs; the rest is free for the queue.
        freedTypes.add(victim.acceleratorType);
        victim.phase = RequestPhase.PENDING;
        victim.waiting = WaitCause.CAPACITY;
        victim.queuedSince = now;
        state.pending(victim, true);
        if (victim.deadline != RequestBook.NONE) {
            due(victim.deadline, victim.requestId);
        }
        state.touch(victim);
        emitWaiting(
                victim,
                SchedulingAction.PREEMPT,
                "preempted by "
                        + by.requestId
                        + " (tenant "
                        + by.tenant
                        + ", priority "
                        + by.priority
                        + " > "
                        + victim.priority
                        + "), which needed "
                        + describeDemand(List.of(by))
                        + " and found room only on "
                        + DecisionText.targets(held)
                        + (victim.gangId == null
                                ? ""
                                : " (gang " + victim.gangId + " is evicted as a whole)")
                        + "; it waits again and is placed when capacity frees",
                by.requestId,
                null,
                quota);
    }

    /** Puts {@code m} in the queue (or keeps it there); a QUEUE decision when that is news. */
    private void enqueue(
            RequestBook m,
            WaitCause cause,
            String reason,
            @Nullable String causeId,
            @Nullable PlacementSearch.Explanation why,
            boolean always) {
        boolean queued = m.queuedSince != RequestBook.NONE;
        if (!queued && cause != WaitCause.GANG && state.pendingCount() >= policy.maxPending()) {
            reject(
                    List.of(m),
                    "the queue is full: "
                            + state.pendingCount()
                            + " requests wait (max_pending "
                            + policy.maxPending()
                            + ")",
                    null);
            return;
        }
        WaitCause before = m.waiting;
        m.phase = RequestPhase.PENDING;
        m.waiting = cause;
        if (!queued) {
            m.queuedSince = now;
            state.pending(m, true);
            if (m.deadline != RequestBook.NONE) {
                due(m.deadline, m.requestId);
            }
        }
        state.touch(m);
        if (always || !queued || before != cause) {
            emitWaiting(m, SchedulingAction.QUEUE, reason, causeId, why, quotaView(m));
        }
    }

    private void reject(List<RequestBook> members, String reason, @Nullable String causeId) {
        for (RequestBook m : sortedById(members)) {
            QuotaView quota = quotaView(m);
            long waited = m.queuedSince;
            endQuietly(m);
            emit(m, SchedulingAction.REJECT, reason, causeId, null, null, quota, waited);
        }
    }

    /** {@code m} ends: what it holds is free, and a RELEASE says why. */
    private void end(RequestBook m, String reason, @Nullable String causeId) {
        QuotaView quota = quotaView(m);
        long waited = m.queuedSince;
        if (m.phase == RequestPhase.PLACED) {
            freedTypes.add(m.acceleratorType);
        }
        free(m);
        endQuietly(m);
        emit(m, SchedulingAction.RELEASE, reason, causeId, null, null, quota, waited);
    }

    private void endQuietly(RequestBook m) {
        state.pending(m, false);
        state.leaveGang(m);
        m.phase = RequestPhase.ENDED;
        m.waiting = null;
        m.retryAt = RequestBook.NONE;
        m.expiresAt = RequestBook.NONE;
        m.forgetAt = now + policy.finishedRetention().toMillis();
        due(m.forgetAt, m.requestId);
        TenantBook tenant = state.tenantOrNew(m.tenant);
        tenant.live = Math.max(0, tenant.live - 1);
        state.touch(tenant);
        state.touch(m);
    }

    // ------------------------------------------------------------------ the queue

    /**
     * Retries queued requests whose capacity or tokens may have freed, in queue order: effective
     * priority (priority plus one per aging step waited), then the tenant's decayed usage (less
     * first), then arrival. At most {@code retry_limit} units per pass.
     *
     * <p>Fair share orders the rivals for room. A unit its tenant's quota or token bucket does not
     * admit takes nothing and is passed over, so one behind it may be placed, even by evicting
     * work; if that eviction frees the first one's quota, the room is already taken.
     */
    public void retryQueued() {
        int tries = 0;
        // A pass ends early when an eviction freed more than its preemptor took: the queue is
        // then tried again from its head, so what freed goes to the first in line.
        while ((!freedTypes.isEmpty() || !retryNow.isEmpty()) && tries < policy.retryLimit()) {
            tries += retryPass(policy.retryLimit() - tries);
        }
        freedTypes.clear();
        retryNow.clear();
    }

    /** One pass over the queue; returns the units it tried (at least 1, so passes end). */
    private int retryPass(int limit) {
        Map<String, List<RequestBook>> units = new TreeMap<>();
        for (String type : freedTypes) {
            for (String id : state.pendingOfType(type)) {
                addUnit(units, state.request(id));
            }
        }
        for (String id : retryNow) {
            RequestBook r = state.request(id);
            if (r != null && r.phase == RequestPhase.PENDING) {
                addUnit(units, r);
            }
        }
        freedTypes.clear();
        retryNow.clear();
        List<List<RequestBook>> ordered = new ArrayList<>(units.values());
        Map<String, Double> usage = new HashMap<>();
        ordered.sort(queueOrder(usage));
        int tries = 0;
        int preemptionTries = 0;
        // Without preemption, a single-node request that found no room rules out any bigger one
        // of the same type: they look at the same nodes.
        Map<String, long[]> failed = new HashMap<>();
        for (List<RequestBook> unit : ordered) {
            if (tries >= limit || !freedTypes.isEmpty()) {
                break;
            }
            RequestBook lead = unit.get(0);
            if (lead.phase != RequestPhase.PENDING) {
                continue;
            }
            boolean single = unit.size() == 1;
            long[] miss = failed.get(lead.acceleratorType);
            boolean mayPreempt =
                    policy.preemption() == PreemptionPolicy.LOWER_PRIORITY
                            && preemptionTries < PREEMPTION_TRIES_PER_PASS;
            if (single
                    && !mayPreempt
                    && miss != null
                    && lead.gpus >= miss[0]
                    && lead.memoryPerGpuMib >= miss[1]
                    && lead.waiting == WaitCause.CAPACITY) {
                continue;
            }
            tries++;
            if (mayPreempt) {
                preemptionTries++;
            }
            boolean placed = admit(unit, mayPreempt);
            if (!placed
                    && single
                    && lead.phase == RequestPhase.PENDING
                    && lead.waiting == WaitCause.CAPACITY) {
                if (miss == null || (lead.gpus <= miss[0] && lead.memoryPerGpuMib <= miss[1])) {
                    failed.put(lead.acceleratorType, new long[] {lead.gpus, lead.memoryPerGpuMib});
                }
            }
        }
        return Math.max(1, tries);
    }

    private void addUnit(Map<String, List<RequestBook>> units, RequestBook r) {
        if (r == null || r.phase != RequestPhase.PENDING || r.waiting == WaitCause.GANG) {
            return;
        }
        if (r.gangId == null) {
            units.put(r.requestId, List.of(r));
            return;
        }
        if (units.containsKey("gang:" + r.gangId)) {
            return;
        }
        List<RequestBook> gang = state.gang(r.gangId);
        for (RequestBook m : gang) {
            if (m.phase != RequestPhase.PENDING || m.waiting == WaitCause.GANG) {
                return;
            }
        }
        if (gang.size() == r.gangSize) {
            units.put("gang:" + r.gangId, sortedByArrival(gang));
        }
    }

    /** Queue order: effective priority (high first), decayed usage (low first), arrival. */
    private Comparator<List<RequestBook>> queueOrder(Map<String, Double> usage) {
        return Comparator.comparingInt((List<RequestBook> u) -> -effectivePriority(u.get(0)))
                .thenComparingDouble(
                        u ->
                                usage.computeIfAbsent(
                                        u.get(0).tenant,
                                        t -> accounts.decayedAt(state.tenant(t), now)))
                .thenComparingLong(u -> u.get(0).arrival);
    }

    /** Priority plus one for every aging step the request has waited. */
    int effectivePriority(RequestBook r) {
        return effectivePriority(r.priority, r.queuedSince);
    }

    private int effectivePriority(int priority, long queuedSince) {
        if (queuedSince == RequestBook.NONE || now <= queuedSince) {
            return priority;
        }
        return priority + (int) ((now - queuedSince) / policy.agingStep().toMillis());
    }

    /** The tenant's decayed usage now, in GPU-seconds (for checks and tests). */
    double decayedUsage(String tenant) {
        return accounts.decayedAt(state.tenant(tenant), now);
    }

    // ------------------------------------------------------------------ units

    /** A request's unit: itself, or its gang's members that have not ended. */
    private List<RequestBook> unitOf(RequestBook r) {
        if (r.gangId == null) {
            return List.of(r);
        }
        List<RequestBook> gang = new ArrayList<>();
        for (RequestBook m : state.gang(r.gangId)) {
            if (m.phase == r.phase) {
                gang.add(m);
            }
        }
        return gang.isEmpty() ? List.of(r) : gang;
    }

    /** A placed request's unit: itself, or every placed member of its gang. */
    private List<RequestBook> placedUnitOf(RequestBook r) {
        if (r.gangId == null) {
            return new ArrayList<>(List.of(r));
        }
        List<RequestBook> gang = new ArrayList<>();
        for (RequestBook m : state.gang(r.gangId)) {
            if (m.phase == RequestPhase.PLACED) {
                gang.add(m);
            }
        }
        if (!gang.contains(r)) {
            gang.add(r);
        }
        return gang;
    }

    private static List<RequestBook> sortedById(List<RequestBook> unit) {
        List<RequestBook> sorted = new ArrayList<>(unit);
        sorted.sort(Comparator.comparing(r -> r.requestId));
        return sorted;
    }

    private static List<RequestBook> sortedByArrival(List<RequestBook> unit) {
        List<RequestBook> sorted = new ArrayList<>(unit);
        sorted.sort(Comparator.comparingLong(r -> r.arrival));
        return sorted;
    }

    private static String describeDemand(List<RequestBook> members) {
        RequestBook lead = members.get(0);
        String each =
                DecisionText.gpus(lead.gpus, lead.acceleratorType)
                        + " with "
                        + String.format("%,d", lead.memoryPerGpuMib)
                        + " MiB free each";
        if (members.size() == 1) {
            return each;
        }
        return "gang "
                + lead.gangId
                + " ("
                + members.size()
                + " members; the largest "
                + each
                + ")";
    }

    private String describeWait(RequestBook r) {
        if (r.waiting == null) {
            return "not yet placed";
        }
        return switch (r.waiting) {
            case QUOTA -> "over its tenant's quota";
            case TOKENS -> "for its tenant's token bucket";
            case CAPACITY -> "for room";
            case GANG -> "for the rest of gang " + r.gangId;
        };
    }

    // ------------------------------------------------------------------ decisions

    private QuotaView quotaView(RequestBook m) {
        return accounts.view(m.tenant, config.quotaOf(m.tenant), m.acceleratorType, now);
    }

    private void emitWaiting(
            RequestBook m,
            SchedulingAction action,
            String reason,
            @Nullable String causeId,
            @Nullable PlacementSearch.Explanation why,
            QuotaView quota) {
        emit(m, action, reason, causeId, null, why, quota, m.queuedSince);
    }

    private void emit(
            RequestBook m,
            SchedulingAction action,
            String reason,
            @Nullable String causeId,
            Placement.Member member,
            PlacementSearch.Explanation why,
            QuotaView quota) {
        emit(m, action, reason, causeId, member, why, quota, RequestBook.NONE);
    }

    private void emit(
            RequestBook m,
            SchedulingAction action,
            String reason,
            @Nullable String causeId,
            @Nullable Placement.Member member,
            @Nullable PlacementSearch.Explanation why,
            QuotaView quota,
            long queuedSince) {
        m.decisions++;
        state.touch(m);
        List<DecisionTarget> targets = new ArrayList<>();
        for (Target t : m.targets) {
            List<Integer> gpus = new ArrayList<>(t.gpuIndices.length);
            for (int i : t.gpuIndices) {
                gpus.add(i);
            }
            targets.add(new DecisionTarget(t.region, t.cluster, t.node, gpus));
        }
        Target first = m.targets.length > 0 ? m.targets[0] : null;
        long wall = wallClock.getAsLong();
        SchedulingDecision.Builder d =
                SchedulingDecision.newBuilder()
                        .setDecisionId(m.requestId + "#" + m.decisions)
                        .setRequestId(m.requestId)
                        .setSequence(m.decisions)
                        .setTenant(m.tenant)
                        .setAction(action)
                        .setDecidedAt(Instant.ofEpochMilli(now))
                        .setKind(m.kind.name())
                        .setAcceleratorType(m.acceleratorType)
                        .setGpus(m.gpus)
                        .setPriority(m.priority)
                        .setEffectivePriority(effectivePriority(m.priority, queuedSince))
                        .setGangId(m.gangId)
                        .setPreferredRegion(m.preferredRegion)
                        .setRegion(first == null ? null : first.region)
                        .setCluster(first == null ? null : first.cluster)
                        .setNode(first == null ? null : first.node)
                        .setTargets(targets)
                        .setScore(member == null ? null : PlacementSearch.round(member.score()))
                        .setScoreParts(member == null ? null : member.parts())
                        .setReason(reason)
                        .setCause(causeId)
                        .setCandidates(
                                why == null
                                        ? new ArrayList<PlacementCandidate>()
                                        : why.candidates())
                        .setNodesConsidered(why == null ? 0 : why.considered)
                        .setNodesFiltered(
                                why == null
                                        ? new HashMap<String, Integer>()
                                        : new HashMap<>(why.filtered))
                        .setQuota(quota)
                        .setQueuedSince(
                                queuedSince == RequestBook.NONE
                                        ? null
                                        : Instant.ofEpochMilli(queuedSince))
                        .setHealthVersion(state.clock().healthVersion)
                        .setCapacityVersion(state.clock().capacityVersion)
                        .setProcessingLatencyMs(Math.max(0, wall - triggerArrivedAt))
                        .setEmittedAt(Instant.ofEpochMilli(wall));
        out.accept(d.build());
    }
}
