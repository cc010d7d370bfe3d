package dev.substrate.operators.scheduling;

import static dev.substrate.operators.scheduling.SchedulingFixtures.EAST;
import static dev.substrate.operators.scheduling.SchedulingFixtures.H100;
import static dev.substrate.operators.scheduling.SchedulingFixtures.SECOND;
import static dev.substrate.operators.scheduling.SchedulingFixtures.T0;
import static dev.substrate.operators.scheduling.SchedulingFixtures.WEST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DecisionTarget;
import dev.substrate.events.NodeStatus;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.config.InferenceLimits;
import dev.substrate.operators.scheduling.config.OverQuotaAction;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.config.TenantQuota;
import dev.substrate.operators.scheduling.state.BufferedInput;
import dev.substrate.operators.scheduling.state.ClusterView;
import dev.substrate.operators.scheduling.state.NodeBook;
import dev.substrate.operators.scheduling.state.RequestBook;
import dev.substrate.operators.scheduling.state.RequestPhase;
import dev.substrate.operators.scheduling.state.SchedulerClock;
import dev.substrate.operators.scheduling.state.TenantBook;
import dev.substrate.operators.scheduling.state.WaitCause;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The scheduler's invariants over random histories of submissions (lone requests and gangs,
 * training and inference, any priority and preferred region), starts, completions and
 * cancellations, node failures and recoveries, capacity reports and waits long enough for
 * reservations to expire:
 *
 * <ul>
 *   <li>no GPU is ever reserved twice, and the books agree with the decisions;
 *   <li>no tenant holds more than its nominal quota plus its borrowing limit, and the tenants
 *       together borrow no more than the shared pool;
 *   <li>every request has at most one final decision (REJECT or RELEASE), nothing after it, and
 *       exactly one once its end was seen;
 *   <li>every reservation on a node that goes DOWN or DRAIN is rescheduled or re-queued at once;
 *   <li>at equal effective priority, a queued request is never placed (evicting work or not) while
 *       an identical one of a tenant with less decayed usage, whose tenant had quota for it at that
 *       moment and that may evict what it evicted, keeps waiting for room;
 *   <li>a scheduler rebuilt from its persisted books halfway decides exactly as the original.
 * </ul>
 */
class SchedulerPropertiesTest {

    private static final List<String> NODES =
            List.of(
                    EAST + "/e1/n1",
                    EAST + "/e1/n2",
                    EAST + "/e2/n3",
                    WEST + "/w1/m1",
                    WEST + "/w1/m2");
    private static final int GPUS_PER_NODE = 4;
    private static final List<String> TENANTS = List.of("a", "b", "c", "d");

    /** One thing that happens, at {@code after} seconds past the previous one. */
    sealed interface Op permits Submit, Start, End, Down, Up, Report {}

    record Submit(
            int after,
            String tenant,
            int gpus,
            int priority,
            int gangSize,
            boolean inference,
            int region)
            implements Op {}

    record Start(int after, int which) implements Op {}

    record End(int after, int which, boolean cancel) implements Op {}

    record Down(int after, int node, boolean drain) implements Op {}

    record Up(int after, int node) implements Op {}

    record Report(int after, int cluster, int healthy) implements Op {}

    @Provide
    Arbitrary<List<Op>> histories() {
        Arbitrary<Integer> gap =
                Arbitraries.frequencyOf(
                        Tuple.of(5, Arbitraries.just(0)),
                        Tuple.of(8, Arbitraries.integers().between(1, 20)),
                        Tuple.of(1, Arbitraries.integers().between(60, 400)));
        Arbitrary<Op> submit =
                Combinators.combine(
                                gap,
                                Arbitraries.of(TENANTS),
                                Arbitraries.integers().between(1, 6),
                                Arbitraries.integers().between(0, 9),
                                Arbitraries.frequency(
                                        Tuple.of(5, 1), Tuple.of(1, 2), Tuple.of(1, 3)),
                                Arbitraries.of(true, false),
                                Arbitraries.integers().between(0, 2))
                        .as(Submit::new);
        Arbitrary<Integer> which = Arbitraries.integers().between(0, 1_000);
        Arbitrary<Op> start = Combinators.combine(gap, which).as(Start::new);
        Arbitrary<Op> end =
                Combinators.combine(gap, which, Arbitraries.of(true, false)).as(End::new);
        Arbitrary<Integer> node = Arbitraries.integers().between(0, NODES.size() - 1);
        Arbitrary<Op> down =
                Combinators.combine(gap, node, Arbitraries.of(true, false)).as(Down::new);
        Arbitrary<Op> up = Combinators.combine(gap, node).as(Up::new);
        Arbitrary<Op> report =
                Combinators.combine(
                                gap,
                                Arbitraries.integers().between(0, 2),
                                Arbitraries.integers().between(0, 2))
                        .as(Report::new);
        return Arbitraries.frequencyOf(
                        Tuple.of(10, submit),
                        Tuple.of(4, start),
                        Tuple.of(6, end),
                        Tuple.of(2, down),
                        Tuple.of(2, up),
                        Tuple.of(1, report))
                .list()
                .ofMinSize(5)
                .ofMaxSize(90);
    }

    @Property(tries = 250)
    void theInvariantsHoldOverAnyHistory(@ForAll("histories") List<Op> ops) {
        checkHistory(ops);
    }

    /**
     * The seed whose 34th history once failed the fair-share check (jqwik sizes what it generates
     * by the tries, so the seed reproduces it only with 250).
     */
    @Property(tries = 250, seed = "-1797696078418041744")
    void theInvariantsHoldWithTheFairShareCounterexampleSeed(@ForAll("histories") List<Op> ops) {
        checkHistory(ops);
    }

    /**
     * What that seed showed, built by hand: tenant d's r3 (5 GPUs, priority 9) waits over d's
     * quota, held by d's own gang g0 (priority 5); tenant a, which used more, has r4 (5 GPUs,
     * priority 9) waiting for room. When w1/m1 comes back, r3 is tried first and is still over
     * quota; r4 evicts g0 to fill w1, and only that gives r3 the quota to wait for room. r3 was no
     * rival of r4.
     */
    @Example
    void aRequestOverItsTenantsQuotaIsNoFairShareRival() {
        List<Op> ops =
                List.of(
                        // Only w1/m2 (4 GPUs) stays up.
                        new Down(1, 0, false),
                        new Down(1, 1, false),
                        new Down(1, 2, false),
                        new Down(1, 3, false),
                        // Tenant a uses 4 GPUs for 45 s.
                        new Submit(1, "a", 4, 0, 1, false, 0),
                        new Start(0, 0),
                        new End(45, 0, false),
                        new Submit(10, "d", 2, 5, 2, false, 0),
                        new Submit(10, "d", 5, 9, 1, false, 0),
                        new Submit(1, "a", 5, 9, 1, false, 0),
                        new Up(9, 3));
        Run run = checkHistory(ops);
        // The history shows what the check must tell apart (the step before the last).
        SchedulingDecision r4 =
                run.all.stream()
                        .filter(d -> d.getRequestId().equals("r4"))
                        .filter(d -> d.getAction() == SchedulingAction.ASSIGN)
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("r4 not placed: " + run.all));
        assertThat(r4.getCause()).isEqualTo("r1,r2");
        assertThat(run.byRequest.get("r3").get(0).getReason()).contains("over its 6 nominal");
        assertThat(
                        run.all.subList(run.all.indexOf(r4), run.all.size()).stream()
                                .filter(d -> d.getRequestId().equals("r3"))
                                .filter(d -> d.getDecidedAt().equals(r4.getDecidedAt()))
                                .map(SchedulingDecision::getReason))
                .singleElement()
                .asString()
                .startsWith("no node has room");
    }

    /**
     * A token wait tried again at a due instant that fails again is due anew before the step's
     * time: it is tried at that instant within the same step, not left for whichever later due
     * entry comes next (which a restored scheduler, rebuilt from the books, may not have).
     */
    @Example
    void aTokenWaitDueAgainWithinAStepIsTriedAtItsOwnInstant() {
        Run run = new Run(config());
        // Tenant d may start 3 inference requests a minute: two start, a gang of two waits.
        run.step(
                T0 + SECOND,
                List.of(
                        inference("d1", null, T0 + SECOND),
                        inference("d2", null, T0 + SECOND),
                        inference("g-1", "g", T0 + SECOND),
                        inference("g-2", "g", T0 + SECOND)));
        assertThat(run.byRequest.get("g-1").get(1).getReason()).contains("tried again at");
        // Another start uses what refilled, so the gang's first retry (at 21 s) fails again.
        run.step(T0 + 10 * SECOND, List.of(inference("d3", null, T0 + 10 * SECOND)));
        List<SchedulingDecision> decided = run.step(T0 + 100 * SECOND, List.of());
        SchedulingDecision placed =
                decided.stream()
                        .filter(d -> d.getRequestId().equals("g-1"))
                        .filter(d -> d.getAction() == SchedulingAction.ASSIGN)
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("g-1 not placed: " + decided));
        // Its second retry, at 41 s, finds two requests' worth refilled.
        assertThat(placed.getDecidedAt().toEpochMilli())
                .isBetween(T0 + 41 * SECOND, T0 + 42 * SECOND);
    }

    private static BufferedInput inference(String id, String gang, long at) {
        return BufferedInput.of(
                SchedulingFixtures.request(id, "d", 1, at)
                        .setKind(WorkloadKind.INFERENCE)
                        .setTokensPerMinute(1_000L)
                        .setGangId(gang)
                        .setGangSize(gang == null ? 1 : 2)
                        .build(),
                0);
    }

    /**
     * Runs the history through a scheduler (and a restored one from halfway), checking each step.
     */
    private static Run checkHistory(List<Op> ops) {
        Run run = new Run(config());
        Run restored = null;
        int split = ops.size() / 2;
        List<SchedulingDecision> afterSplit = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            if (i == split) {
                restored = run.restored();
                afterSplit.clear();
            }
            List<BufferedInput> inputs = run.inputsOf(ops.get(i));
            long at = run.now;
            List<SchedulingDecision> decided = run.step(at, inputs);
            if (restored != null) {
                List<SchedulingDecision> again = restored.step(at, copy(inputs));
                assertThat(SchedulerFunctionTest.comparable(again))
                        .as("restored scheduler at op %d", i)
                        .isEqualTo(SchedulerFunctionTest.comparable(decided));
            }
            run.check(ops.get(i), decided);
        }
        // Let every timer run out, then look once more.
        List<SchedulingDecision> decided = run.step(run.now + 3_600_000, List.of());
        run.check(null, decided);
        run.checkFinalDecisions();
        return run;
    }

    private static List<BufferedInput> copy(List<BufferedInput> inputs) {
        List<BufferedInput> copy = new ArrayList<>();
        for (BufferedInput in : inputs) {
            copy.add(
                    in.signal != null
                            ? BufferedInput.of(in.signal, 0)
                            : BufferedInput.of(WorkloadRequest.newBuilder(in.request).build(), 0));
        }
        return copy;
    }

    private static SchedulerConfig config() {
        Map<String, TenantQuota> tenants = new TreeMap<>();
        tenants.put("a", quota(8, 4, OverQuotaAction.QUEUE, null));
        tenants.put("b", quota(6, 2, OverQuotaAction.QUEUE, null));
        tenants.put("c", quota(2, 2, OverQuotaAction.REJECT, null));
        tenants.put("d", quota(6, 0, OverQuotaAction.QUEUE, new InferenceLimits(3, 0)));
        SchedulerPolicy policy =
                SchedulerPolicy.builder()
                        .reservationTimeout(Duration.ofMinutes(2))
                        .telemetryStaleAfter(Duration.ofDays(1))
                        .finishedRetention(Duration.ofMinutes(30))
                        .retryLimit(10_000)
                        .build();
        return SchedulerConfig.of(policy, Map.of(H100, 4), tenants, null);
    }

    private static TenantQuota quota(
            int nominal, int borrowing, OverQuotaAction overQuota, InferenceLimits inference) {
        return SchedulingFixtures.quota(nominal, borrowing, overQuota, inference);
    }

    /** One scheduler run, with what the checks need to remember. */
    private static final class Run {
        final SchedulerConfig config;
        final FleetScheduler scheduler;
        final Books books = new Books();
        final List<WorkloadRequest> submitted = new ArrayList<>();
        final Map<String, List<SchedulingDecision>> byRequest = new HashMap<>();
        final Map<String, List<DecisionTarget>> holding = new HashMap<>();
        final Set<String> ended = new HashSet<>();
        long now = T0;
        int gangs;
        final List<SchedulingDecision> all = new ArrayList<>();
        private List<SchedulingDecision> collected = new ArrayList<>();

        Run(SchedulerConfig config) {
            this.config = config;
            this.scheduler =
                    new FleetScheduler(
                            config, new SchedulerState(config), d -> collected.add(d), () -> 0L);
            List<BufferedInput> fleet = new ArrayList<>();
            for (String spec : NODES) {
                String[] p = spec.split("/");
                for (FleetSignal s : SchedulingFixtures.node(p[0], p[1], p[2], GPUS_PER_NODE, T0)) {
                    fleet.add(BufferedInput.of(s, 0));
                }
            }
            step(T0, fleet);
        }

        private Run(SchedulerConfig config, SchedulerState restoredState) {
            this.config = config;
            this.scheduler =
                    new FleetScheduler(config, restoredState, d -> collected.add(d), () -> 0L);
        }

        /** A scheduler rebuilt from the books persisted so far. */
        Run restored() {
            return new Run(
                    config,
                    SchedulerState.restore(
                            config,
                            books.nodes.values(),
                            books.requests.values(),
                            books.tenants.values(),
                            books.clusters.values(),
                            books.clock));
        }

        List<SchedulingDecision> step(long at, List<BufferedInput> inputs) {
            collected = new ArrayList<>();
            scheduler.step(at, inputs, 0);
            try {
                scheduler.state().flush(books);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            for (SchedulingDecision d : collected) {
                all.add(d);
                byRequest.computeIfAbsent(d.getRequestId(), k -> new ArrayList<>()).add(d);
                switch (d.getAction()) {
                    case ASSIGN, REROUTE, RESCHEDULE ->
                            holding.put(d.getRequestId(), d.getTargets());
                    default -> holding.remove(d.getRequestId());
                }
            }
            return collected;
        }

        List<BufferedInput> inputsOf(Op op) {
            List<BufferedInput> in = new ArrayList<>();
            if (op instanceof Submit s) {
                now += s.after() * SECOND;
                String gang = s.gangSize() > 1 ? "g" + gangs++ : null;
                for (int m = 0; m < s.gangSize(); m++) {
                    String id = "r" + submitted.size();
                    WorkloadRequest r =
                            SchedulingFixtures.request(id, s.tenant(), s.gpus(), now)
                                    .setPriority(s.priority())
                                    .setKind(
                                            s.inference()
                                                    ? WorkloadKind.INFERENCE
                                                    : WorkloadKind.TRAINING)
                                    .setTokensPerMinute(s.inference() ? 1_000L : null)
                                    .setGangId(gang)
                                    .setGangSize(s.gangSize())
                                    .setPreferredRegion(
                                            s.region() == 0 ? null : s.region() == 1 ? EAST : WEST)
                                    .build();
                    submitted.add(r);
                    in.add(BufferedInput.of(r, 0));
                }
            } else if (op instanceof Start s) {
                now += s.after() * SECOND;
                if (!submitted.isEmpty()) {
                    WorkloadRequest r = submitted.get(s.which() % submitted.size());
                    in.add(
                            BufferedInput.of(
                                    SchedulingFixtures.event(r, RequestLifecycle.STARTED, now), 0));
                }
            } else if (op instanceof End e) {
                now += e.after() * SECOND;
                if (!submitted.isEmpty()) {
                    WorkloadRequest r = submitted.get(e.which() % submitted.size());
                    ended.add(r.getRequestId());
                    RequestLifecycle how =
                            e.cancel() ? RequestLifecycle.CANCELLED : RequestLifecycle.COMPLETED;
                    in.add(BufferedInput.of(SchedulingFixtures.event(r, how, now), 0));
                }
            } else if (op instanceof Down d) {
                now += Math.max(1, d.after()) * SECOND;
                String[] p = NODES.get(d.node()).split("/");
                in.add(
                        BufferedInput.of(
                                SchedulingFixtures.health(
                                        p[0],
                                        p[1],
                                        p[2],
                                        d.drain() ? NodeStatus.DRAIN : NodeStatus.DOWN,
                                        now),
                                0));
            } else if (op instanceof Up u) {
                now += u.after() * SECOND;
                String[] p = NODES.get(u.node()).split("/");
                in.add(
                        BufferedInput.of(
                                SchedulingFixtures.health(p[0], p[1], p[2], NodeStatus.UP, now),
                                0));
            } else if (op instanceof Report r) {
                now += r.after() * SECOND;
                String cluster = List.of("e1", "e2", "w1").get(r.cluster());
                String region = cluster.startsWith("e") ? EAST : WEST;
                in.add(
                        BufferedInput.of(
                                FleetSignal.capacity(now, region, cluster, r.healthy(), 2), 0));
            }
            return in;
        }

        void check(Op op, List<SchedulingDecision> decided) {
            checkNoGpuTwice();
            checkBooksAgree();
            checkNothingOnFailedNodes();
            checkQuotas();
            checkFinalDecisions();
            if (op instanceof Down down) {
                checkFailover(down, decided);
            }
            checkFairShare(decided);
        }

        /** Nothing is left on a node that is DOWN or DRAIN. */
        private void checkNothingOnFailedNodes() {
            for (NodeBook n : scheduler.state().nodes()) {
                if (n.status == NodeStatus.DOWN || n.status == NodeStatus.DRAIN) {
                    assertThat(n.reservedGpus())
                            .as("GPUs held on %s (%s)", n.key(), n.status)
                            .isZero();
                }
            }
        }

        private void checkNoGpuTwice() {
            Map<String, String> owner = new HashMap<>();
            holding.forEach(
                    (request, targets) -> {
                        for (DecisionTarget t : targets) {
                            for (int gpu : t.getGpuIndices()) {
                                String key = t.getCluster() + "/" + t.getNode() + "#" + gpu;
                                String other = owner.put(key, request);
                                assertThat(other)
                                        .as("GPU %s held by %s and %s", key, other, request)
                                        .isNull();
                            }
                        }
                    });
        }

        private void checkBooksAgree() {
            SchedulerState s = scheduler.state();
            Map<String, String> reserved = new HashMap<>();
            for (NodeBook n : s.nodes()) {
                for (int i = 0; i < n.reservedBy.length; i++) {
                    if (n.reservedBy[i] != null) {
                        reserved.put(n.cluster + "/" + n.node + "#" + i, n.reservedBy[i]);
                    }
                }
            }
            Map<String, String> decided = new HashMap<>();
            holding.forEach(
                    (request, targets) -> {
                        for (DecisionTarget t : targets) {
                            for (int gpu : t.getGpuIndices()) {
                                decided.put(
                                        t.getCluster() + "/" + t.getNode() + "#" + gpu, request);
                            }
                        }
                    });
            assertThat(reserved).as("node books vs decisions").isEqualTo(decided);
            for (RequestBook r : s.requestsById()) {
                assertThat(r.phase == RequestPhase.PLACED)
                        .as("%s placed in its book and in the decisions", r.requestId)
                        .isEqualTo(holding.containsKey(r.requestId));
            }
        }

        private void checkQuotas() {
            Map<String, Integer> used = new TreeMap<>();
            holding.forEach(
                    (request, targets) -> {
                        String tenant = byRequest.get(request).get(0).getTenant();
                        int gpus = targets.stream().mapToInt(t -> t.getGpuIndices().size()).sum();
                        used.merge(tenant, gpus, Integer::sum);
                    });
            int borrowed = 0;
            for (Map.Entry<String, Integer> e : used.entrySet()) {
                TenantQuota q = config.quotaOf(e.getKey());
                assertThat(e.getValue())
                        .as("GPUs held by tenant %s", e.getKey())
                        .isLessThanOrEqualTo(q.nominalOf(H100) + q.borrowingLimitOf(H100));
                borrowed += Math.max(0, e.getValue() - q.nominalOf(H100));
                TenantBook book = scheduler.state().tenant(e.getKey());
                assertThat(book.inUse(H100))
                        .as("tenant %s's book", e.getKey())
                        .isEqualTo(e.getValue());
            }
            assertThat(borrowed)
                    .as("GPUs borrowed from the pool")
                    .isLessThanOrEqualTo(config.poolOf(H100));
        }

        void checkFinalDecisions() {
            byRequest.forEach(
                    (request, decisions) -> {
                        int finals = 0;
                        for (int i = 0; i < decisions.size(); i++) {
                            SchedulingAction a = decisions.get(i).getAction();
                            if (a == SchedulingAction.REJECT || a == SchedulingAction.RELEASE) {
                                finals++;
                                assertThat(i)
                                        .as(
                                                "%s decided after its final decision: %s",
                                                request, decisions)
                                        .isEqualTo(decisions.size() - 1);
                            }
                            assertThat(decisions.get(i).getSequence()).isEqualTo(i + 1);
                        }
                        assertThat(finals)
                                .as("final decisions of %s", request)
                                .isLessThanOrEqualTo(1);
                        if (ended.contains(request)) {
                            assertThat(finals)
                                    .as("%s ended: its final decision", request)
                                    .isEqualTo(1);
                        }
                    });
            for (WorkloadRequest r : submitted) {
                assertThat(byRequest)
                        .as("every submitted request is decided")
                        .containsKey(r.getRequestId());
            }
        }

        private void checkFailover(Down down, List<SchedulingDecision> decided) {
            String[] p = NODES.get(down.node()).split("/");
            Map<String, SchedulingDecision> firstNow = new LinkedHashMap<>();
            for (SchedulingDecision d : decided) {
                firstNow.putIfAbsent(d.getRequestId(), d);
            }
            Map<String, List<DecisionTarget>> before = holdingBefore(decided);
            before.forEach(
                    (request, targets) -> {
                        boolean onNode =
                                targets.stream()
                                        .anyMatch(
                                                t ->
                                                        t.getCluster().equals(p[1])
                                                                && t.getNode().equals(p[2]));
                        if (!onNode) {
                            return;
                        }
                        SchedulingDecision d = firstNow.get(request);
                        assertThat(d)
                                .as(
                                        "%s held GPUs on %s when it went down",
                                        request, NODES.get(down.node()))
                                .isNotNull();
                        // Moved, re-queued (by the failover, or preempted just before it), or
                        // its unstarted reservation expired at that very instant.
                        assertThat(d.getAction())
                                .isIn(
                                        SchedulingAction.RESCHEDULE,
                                        SchedulingAction.QUEUE,
                                        SchedulingAction.PREEMPT,
                                        SchedulingAction.RELEASE);
                        if (d.getAction() == SchedulingAction.RELEASE) {
                            assertThat(d.getCause()).isEqualTo("reservation expired");
                        }
                    });
        }

        /** Holdings before the decisions of the last step. */
        private Map<String, List<DecisionTarget>> holdingBefore(List<SchedulingDecision> decided) {
            return holdingUpTo(all.size() - decided.size());
        }

        /** Holdings before the decision at {@code end} of {@link #all}. */
        private Map<String, List<DecisionTarget>> holdingUpTo(int end) {
            Map<String, List<DecisionTarget>> before = new HashMap<>();
            for (int i = 0; i < end; i++) {
                SchedulingDecision d = all.get(i);
                switch (d.getAction()) {
                    case ASSIGN, REROUTE, RESCHEDULE ->
                            before.put(d.getRequestId(), d.getTargets());
                    default -> before.remove(d.getRequestId());
                }
            }
            return before;
        }

        /**
         * At equal effective priority, a queued request placed in this step never went ahead of an
         * identical one of a tenant with less decayed usage that keeps waiting for room. The one
         * that waits is compared as it stood when the other was placed: its tenant must have had
         * quota for it then. A request over its tenant's quota cannot take any room, so it is no
         * rival; work evicted or ended later in the step may give it quota after the room is gone
         * (seed -1797696078418041744: tenant d's r27 was tried first, over quota because of d's own
         * gang g3; r1 of tenant a then evicted g3, and only that gave r27 the quota to wait for
         * room). Nor is a request that may not evict what the other evicted to make its room.
         */
        private void checkFairShare(List<SchedulingDecision> decided) {
            SchedulerState s = scheduler.state();
            long t = scheduler.now();
            int stepStart = all.size() - decided.size();
            for (int j = 0; j < decided.size(); j++) {
                SchedulingDecision x = decided.get(j);
                boolean fromQueue =
                        (x.getAction() == SchedulingAction.ASSIGN
                                        || x.getAction() == SchedulingAction.REROUTE)
                                && x.getQueuedSince() != null
                                && x.getQueuedSince().toEpochMilli() < t
                                && x.getGangId() == null
                                // Usage is compared as of now: decisions taken at earlier due
                                // instants of this step saw other values.
                                && x.getDecidedAt().toEpochMilli() == t;
                if (!fromQueue) {
                    continue;
                }
                // The PREEMPT decisions of x's victims come right before its placement.
                int placedFrom = j;
                int evictedUpTo = -1;
                while (placedFrom > 0
                        && decided.get(placedFrom - 1).getAction() == SchedulingAction.PREEMPT
                        && x.getRequestId().equals(decided.get(placedFrom - 1).getCause())) {
                    placedFrom--;
                    evictedUpTo = Math.max(evictedUpTo, decided.get(placedFrom).getPriority());
                }
                Map<String, Integer> inUseThen = inUseByTenant(stepStart + placedFrom);
                double xUsage = scheduler.decayedUsage(x.getTenant());
                for (RequestBook y : s.requestsById()) {
                    if (y.phase != RequestPhase.PENDING
                            || y.waiting != WaitCause.CAPACITY
                            || y.gangId != null
                            || y.queuedSince >= t
                            || y.gpus != x.getGpus()
                            || y.tenant.equals(x.getTenant())
                            || !quotaAllows(inUseThen, y.tenant, y.gpus)
                            // Age orders the queue but gives no right to evict: that goes by
                            // the priority asked for.
                            || y.priority <= evictedUpTo) {
                        continue;
                    }
                    if (scheduler.effectivePriority(y) != x.getEffectivePriority()) {
                        continue;
                    }
                    assertThat(scheduler.decayedUsage(y.tenant))
                            .as(
                                    "%s (tenant %s) was placed at %s while %s of tenant %s, with"
                                            + " less decayed usage, kept waiting; the step"
                                            + " decided %s",
                                    x.getRequestId(),
                                    x.getTenant(),
                                    Instant.ofEpochMilli(t),
                                    y.requestId,
                                    y.tenant,
                                    decided.stream()
                                            .map(
                                                    d ->
                                                            d.getAction()
                                                                    + " "
                                                                    + d.getRequestId()
                                                                    + " ("
                                                                    + d.getReason()
                                                                    + ")")
                                            .toList())
                            .isGreaterThanOrEqualTo(xUsage);
                }
            }
        }

        /** The GPUs each tenant held before the decision at {@code end} of {@link #all}. */
        private Map<String, Integer> inUseByTenant(int end) {
            Map<String, Integer> inUse = new TreeMap<>();
            holdingUpTo(end)
                    .forEach(
                            (request, targets) ->
                                    inUse.merge(
                                            byRequest.get(request).get(0).getTenant(),
                                            targets.stream()
                                                    .mapToInt(g -> g.getGpuIndices().size())
                                                    .sum(),
                                            Integer::sum));
            return inUse;
        }

        /**
         * The quota rule: what the tenant holds beyond its nominal stays within its borrowing
         * limit, and what it borrows anew is still free in the shared pool.
         */
        private boolean quotaAllows(Map<String, Integer> inUse, String tenant, int gpus) {
            int borrowed = 0;
            for (Map.Entry<String, Integer> e : inUse.entrySet()) {
                borrowed += Math.max(0, e.getValue() - config.quotaOf(e.getKey()).nominalOf(H100));
            }
            TenantQuota q = config.quotaOf(tenant);
            int used = inUse.getOrDefault(tenant, 0);
            int borrowedNow = Math.max(0, used - q.nominalOf(H100));
            int borrowedAfter = Math.max(0, used + gpus - q.nominalOf(H100));
            return borrowedAfter <= q.borrowingLimitOf(H100)
                    && borrowedAfter - borrowedNow <= config.poolOf(H100) - borrowed;
        }
    }

    /** The books persisted by {@link SchedulerState#flush}, as Flink state would hold them. */
    private static final class Books implements SchedulerState.Persistence {
        final Map<String, NodeBook> nodes = new TreeMap<>();
        final Map<String, RequestBook> requests = new TreeMap<>();
        final Map<String, TenantBook> tenants = new TreeMap<>();
        final Map<String, ClusterView> clusters = new TreeMap<>();
        SchedulerClock clock;

        @Override
        public void putNode(String key, NodeBook node) {
            nodes.put(key, node.copy());
        }

        @Override
        public void removeNode(String key) {
            nodes.remove(key);
        }

        @Override
        public void putRequest(String id, RequestBook request) {
            requests.put(id, request.copy());
        }

        @Override
        public void removeRequest(String id) {
            requests.remove(id);
        }

        @Override
        public void putTenant(String tenant, TenantBook book) {
            tenants.put(tenant, book.copy());
        }

        @Override
        public void removeTenant(String tenant) {
            tenants.remove(tenant);
        }

        @Override
        public void putCluster(String cluster, ClusterView view) {
            clusters.put(cluster, view.copy());
        }

        @Override
        public void putClock(SchedulerClock value) {
            clock = value.copy();
        }
    }
}
