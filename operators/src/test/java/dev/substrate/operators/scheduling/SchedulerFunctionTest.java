package dev.substrate.operators.scheduling;

import static dev.substrate.operators.scheduling.SchedulerHarness.actions;
import static dev.substrate.operators.scheduling.SchedulerHarness.of;
import static dev.substrate.operators.scheduling.SchedulerHarness.only;
import static dev.substrate.operators.scheduling.SchedulingFixtures.EAST;
import static dev.substrate.operators.scheduling.SchedulingFixtures.H100;
import static dev.substrate.operators.scheduling.SchedulingFixtures.MINUTE;
import static dev.substrate.operators.scheduling.SchedulingFixtures.SECOND;
import static dev.substrate.operators.scheduling.SchedulingFixtures.T0;
import static dev.substrate.operators.scheduling.SchedulingFixtures.WEST;
import static dev.substrate.operators.scheduling.SchedulingFixtures.config;
import static dev.substrate.operators.scheduling.SchedulingFixtures.event;
import static dev.substrate.operators.scheduling.SchedulingFixtures.health;
import static dev.substrate.operators.scheduling.SchedulingFixtures.node;
import static dev.substrate.operators.scheduling.SchedulingFixtures.quota;
import static dev.substrate.operators.scheduling.SchedulingFixtures.request;
import static dev.substrate.operators.scheduling.SchedulingFixtures.submit;
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
import dev.substrate.operators.scheduling.config.PlacementStrategy;
import dev.substrate.operators.scheduling.config.PreemptionPolicy;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.state.BufferedInput;
import dev.substrate.operators.scheduling.state.ClusterView;
import dev.substrate.operators.scheduling.state.InputBatch;
import dev.substrate.operators.scheduling.state.NodeBook;
import dev.substrate.operators.scheduling.state.RequestBook;
import dev.substrate.operators.scheduling.state.SchedulerClock;
import dev.substrate.operators.scheduling.state.TenantBook;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;

/**
 * Every scheduling rule in Flink's keyed two-input operator harness: requests on the first input,
 * fleet signals on the second, decisions out, timers driven by the watermark.
 */
class SchedulerFunctionTest {

    /** Readings stay fresh for a day: most tests are about other things. */
    private static final SchedulerPolicy LENIENT =
            SchedulerPolicy.builder().telemetryStaleAfter(Duration.ofDays(1)).build();

    private static SchedulerHarness fleet(SchedulerConfig config, String... nodes)
            throws Exception {
        SchedulerHarness h = new SchedulerHarness(config);
        for (String spec : nodes) {
            // "region/cluster/node" with 8 GPUs each.
            String[] parts = spec.split("/");
            h.signals(node(parts[0], parts[1], parts[2], 8, T0));
        }
        return h;
    }

    private static Set<Integer> gpus(SchedulingDecision d) {
        Set<Integer> all = new HashSet<>();
        for (DecisionTarget t : d.getTargets()) {
            all.addAll(t.getGpuIndices());
        }
        return all;
    }

    @Test
    void binPackFillsANodeBeforeTheNextAndNeverHandsOutAGpuTwice() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1", EAST + "/e1/n2")) {
            h.request(submit("r1", "a", 4, T0 + SECOND))
                    .request(submit("r2", "a", 4, T0 + 2 * SECOND))
                    .request(submit("r3", "a", 4, T0 + 3 * SECOND))
                    .watermark(T0 + 3 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            SchedulingDecision r1 = only(out, "r1");
            SchedulingDecision r2 = only(out, "r2");
            SchedulingDecision r3 = only(out, "r3");

            assertThat(actions(out)).containsOnly(SchedulingAction.ASSIGN);
            assertThat(r1.getNode()).isEqualTo(r2.getNode());
            assertThat(gpus(r1)).hasSize(4).doesNotContainAnyElementsOf(gpus(r2));
            assertThat(r3.getNode()).isNotEqualTo(r1.getNode());
            assertThat(r2.getScoreParts().getPacking()).isEqualTo(40.0);
            assertThat(r2.getReason()).contains("placed on e1/" + r2.getNode() + " GPUs");
            assertThat(r2.getQuota().getGpusInUse()).isEqualTo(4);
            assertThat(r2.getDecisionId()).isEqualTo("r2#1");
            assertThat(r2.getCandidates()).isNotEmpty();
        }
    }

    @Test
    void spreadUsesTheEmptiestNode() throws Exception {
        SchedulerPolicy spread = LENIENT.toBuilder().placement(PlacementStrategy.SPREAD).build();
        try (var h = fleet(config(spread), EAST + "/e1/n1", EAST + "/e1/n2")) {
            h.request(submit("r1", "a", 4, T0 + SECOND))
                    .request(submit("r2", "a", 4, T0 + 2 * SECOND))
                    .watermark(T0 + 2 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(only(out, "r1").getNode()).isNotEqualTo(only(out, "r2").getNode());
        }
    }

    @Test
    void requestsOfTheSameInstantNeverDoubleBook() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1", EAST + "/e1/n2")) {
            long t = T0 + SECOND;
            h.request(submit("r1", "a", 6, t))
                    .request(submit("r2", "b", 6, t))
                    .request(submit("r3", "a", 6, t))
                    .watermark(t);
            List<SchedulingDecision> out = h.decisions();
            assertThat(only(out, "r1").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(only(out, "r2").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(only(out, "r1").getNode()).isNotEqualTo(only(out, "r2").getNode());
            SchedulingDecision r3 = only(out, "r3");
            assertThat(r3.getAction()).isEqualTo(SchedulingAction.QUEUE);
            assertThat(r3.getReason())
                    .contains("no node has room for 6 H100-80GB GPUs")
                    .contains("too few free GPUs")
                    .contains("the most usable on one node: 2, needs 6");
            assertThat(r3.getNodesFiltered()).containsEntry("too few free GPUs", 2);
            assertThat(r3.getCandidates()).extracting(c -> c.getFittingGpus()).containsOnly(2);
        }
    }

    @Test
    void overQuotaWaitsAndIsPlacedWhenItsTenantFreesGpus() throws Exception {
        SchedulerConfig config =
                SchedulerConfig.of(
                        LENIENT,
                        Map.of(),
                        Map.of("small", quota(4, 0, OverQuotaAction.QUEUE, null)),
                        null);
        try (var h = fleet(config, EAST + "/e1/n1", EAST + "/e1/n2")) {
            WorkloadRequest first = submit("r1", "small", 4, T0 + SECOND);
            h.request(first).request(submit("r2", "small", 2, T0 + 2 * SECOND));
            h.watermark(T0 + 2 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            SchedulingDecision queued = only(out, "r2");
            assertThat(queued.getAction()).isEqualTo(SchedulingAction.QUEUE);
            assertThat(queued.getReason())
                    .contains("tenant small has 4 H100-80GB GPUs in use and asks 2 more")
                    .contains("waits until the tenant frees GPUs");
            assertThat(queued.getQuota().getGpusInUse()).isEqualTo(4);
            assertThat(queued.getQuota().getNominal()).isEqualTo(4);

            h.request(event(first, RequestLifecycle.COMPLETED, T0 + MINUTE)).watermark(T0 + MINUTE);
            out = h.decisions();
            assertThat(actions(of(out, "r1"))).containsExactly(SchedulingAction.RELEASE);
            SchedulingDecision placed = only(out, "r2");
            assertThat(placed.getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(placed.getReason()).contains("after waiting 58s");
            assertThat(placed.getQueuedSince()).isEqualTo(Instant.ofEpochMilli(T0 + 2 * SECOND));
        }
    }

    @Test
    void overQuotaIsRejectedUnderARejectPolicyAndWhatCanNeverFitAlways() throws Exception {
        SchedulerConfig config =
                SchedulerConfig.of(
                        LENIENT,
                        Map.of(),
                        Map.of(
                                "strict", quota(4, 0, OverQuotaAction.REJECT, null),
                                "patient", quota(4, 0, OverQuotaAction.QUEUE, null)),
                        null);
        try (var h = fleet(config, EAST + "/e1/n1", EAST + "/e1/n2")) {
            h.request(submit("s1", "strict", 4, T0 + SECOND))
                    .request(submit("s2", "strict", 1, T0 + 2 * SECOND))
                    .request(submit("p1", "patient", 8, T0 + 3 * SECOND))
                    .request(submit("x1", "stranger", 1, T0 + 4 * SECOND))
                    .watermark(T0 + 4 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(only(out, "s1").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(only(out, "s2").getAction()).isEqualTo(SchedulingAction.REJECT);
            assertThat(only(out, "s2").getReason()).contains("over_quota policy is REJECT");
            assertThat(only(out, "p1").getAction()).isEqualTo(SchedulingAction.REJECT);
            assertThat(only(out, "p1").getReason())
                    .contains("asks 8 H100-80GB GPUs but tenant patient may hold at most 4");
            assertThat(only(out, "x1").getAction()).isEqualTo(SchedulingAction.REJECT);
            assertThat(only(out, "x1").getReason())
                    .contains("tenant stranger has no quota")
                    .contains("no default_tenant");
        }
    }

    @Test
    void borrowingComesFromTheSharedPoolUpToEachTenantsLimit() throws Exception {
        SchedulerConfig config =
                SchedulerConfig.of(
                        LENIENT,
                        Map.of(H100, 4),
                        Map.of(
                                "a", quota(4, 4, OverQuotaAction.QUEUE, null),
                                "b", quota(4, 4, OverQuotaAction.QUEUE, null)),
                        null);
        try (var h = fleet(config, EAST + "/e1/n1", EAST + "/e1/n2", EAST + "/e1/n3")) {
            h.request(submit("a1", "a", 8, T0 + SECOND))
                    .request(submit("b1", "b", 4, T0 + 2 * SECOND))
                    .request(submit("b2", "b", 2, T0 + 3 * SECOND))
                    .watermark(T0 + 3 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(only(out, "a1").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(only(out, "b1").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            SchedulingDecision b2 = only(out, "b2");
            assertThat(b2.getAction()).isEqualTo(SchedulingAction.QUEUE);
            assertThat(b2.getQuota().getSharedPoolFree()).isZero();
            assertThat(b2.getReason()).contains("the shared pool has 0 of 4 free");
        }
    }

    @Test
    void inferenceWaitsForItsTenantsTokenBucketToRefill() throws Exception {
        SchedulerConfig config =
                SchedulerConfig.of(
                        LENIENT,
                        Map.of(),
                        Map.of(
                                "gw",
                                quota(16, 0, OverQuotaAction.QUEUE, new InferenceLimits(2, 1_000))),
                        null);
        try (var h = fleet(config, EAST + "/e1/n1")) {
            long t = T0 + SECOND;
            for (int i = 1; i <= 3; i++) {
                h.request(inference("i" + i, "gw", 400, t));
            }
            h.request(inference("big", "gw", 2_000, t));
            h.watermark(t);
            List<SchedulingDecision> out = h.decisions();
            assertThat(only(out, "i1").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(only(out, "i2").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            SchedulingDecision waits = only(out, "i3");
            assertThat(waits.getAction()).isEqualTo(SchedulingAction.QUEUE);
            assertThat(waits.getReason()).contains("inference rate limit");
            assertThat(waits.getQuota().getRequestTokensLeft()).isEqualTo(0.0);
            assertThat(only(out, "big").getAction()).isEqualTo(SchedulingAction.REJECT);
            assertThat(only(out, "big").getReason()).contains("holds at most 1,000");

            // One request refills every 30 s: the timer tries i3 again then, not before.
            h.watermark(t + 30 * SECOND - 1);
            assertThat(h.decisions()).isEmpty();
            h.watermark(t + 30 * SECOND);
            SchedulingDecision placed = only(h.decisions(), "i3");
            assertThat(placed.getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(placed.getDecidedAt()).isEqualTo(Instant.ofEpochMilli(t + 30 * SECOND));
        }
    }

    private static WorkloadRequest inference(String id, String tenant, long tokens, long at) {
        return request(id, tenant, 1, at)
                .setKind(WorkloadKind.INFERENCE)
                .setTokensPerMinute(tokens)
                .setPriority(7)
                .build();
    }

    @Test
    void aReservationWithoutAStartExpiresAndFreesItsGpus() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1")) {
            WorkloadRequest idle = submit("idle", "a", 8, T0 + SECOND);
            WorkloadRequest busy = submit("busy", "b", 8, T0 + 2 * SECOND);
            h.request(idle).request(busy).watermark(T0 + 2 * SECOND);
            assertThat(actions(h.decisions()))
                    .containsExactly(SchedulingAction.ASSIGN, SchedulingAction.QUEUE);

            h.watermark(T0 + SECOND + 5 * MINUTE - 1);
            assertThat(h.decisions()).isEmpty();
            h.watermark(T0 + SECOND + 5 * MINUTE);
            List<SchedulingDecision> out = h.decisions();
            SchedulingDecision expired = only(out, "idle");
            assertThat(expired.getAction()).isEqualTo(SchedulingAction.RELEASE);
            assertThat(expired.getReason()).contains("reservation expired: no STARTED event");
            assertThat(expired.getCause()).isEqualTo("reservation expired");
            assertThat(only(out, "busy").getAction()).isEqualTo(SchedulingAction.ASSIGN);

            // Started in time: no expiry.
            h.request(event(busy, RequestLifecycle.STARTED, T0 + 6 * MINUTE))
                    .watermark(T0 + 30 * MINUTE);
            assertThat(h.decisions()).isEmpty();
        }
    }

    @Test
    void anOwnerThatStartedBeforeItsPlacementNeedsNoSecondStart() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1")) {
            WorkloadRequest first = submit("first", "a", 8, T0 + SECOND);
            WorkloadRequest eager = submit("eager", "a", 8, T0 + 2 * SECOND);
            h.request(first)
                    .request(event(first, RequestLifecycle.STARTED, T0 + 3 * SECOND))
                    .request(eager)
                    .request(event(eager, RequestLifecycle.STARTED, T0 + 3 * SECOND))
                    .request(event(first, RequestLifecycle.COMPLETED, T0 + MINUTE))
                    .watermark(T0 + 30 * MINUTE);
            List<SchedulingDecision> eagerDecisions = of(h.decisions(), "eager");
            assertThat(actions(eagerDecisions))
                    .containsExactly(SchedulingAction.QUEUE, SchedulingAction.ASSIGN);
        }
    }

    @Test
    void aGangWaitsForAllItsMembersAndIsPlacedAllOrNothingInOneCluster() throws Exception {
        try (var h =
                fleet(
                        config(LENIENT),
                        EAST + "/e1/n1",
                        EAST + "/e1/n2",
                        WEST + "/w1/m1",
                        WEST + "/w1/m2",
                        WEST + "/w1/m3")) {
            for (int i = 1; i <= 3; i++) {
                h.request(
                        request("g" + i, "a", 8, T0 + i * SECOND)
                                .setGangId("g")
                                .setGangSize(3)
                                .build());
            }
            h.watermark(T0 + 3 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(of(out, "g1").get(0).getReason()).contains("1 of 3 members submitted");
            assertThat(of(out, "g2").get(0).getReason()).contains("2 of 3 members submitted");
            List<SchedulingDecision> placed =
                    out.stream().filter(d -> d.getAction() == SchedulingAction.ASSIGN).toList();
            assertThat(placed)
                    .extracting(SchedulingDecision::getRequestId)
                    .containsExactlyInAnyOrder("g1", "g2", "g3");
            assertThat(placed).extracting(SchedulingDecision::getCluster).containsOnly("w1");
            assertThat(placed)
                    .extracting(SchedulingDecision::getNode)
                    .containsExactlyInAnyOrder("m1", "m2", "m3");
            assertThat(placed.get(0).getReason()).contains("members of gang g in w1");

            // A gang that fits nowhere takes nothing: a plain request still gets the east nodes.
            for (int i = 1; i <= 3; i++) {
                h.request(
                        request("h" + i, "b", 8, T0 + 10 * SECOND)
                                .setGangId("h")
                                .setGangSize(3)
                                .build());
            }
            h.request(submit("solo", "b", 8, T0 + 11 * SECOND)).watermark(T0 + 11 * SECOND);
            out = h.decisions();
            assertThat(out.stream().filter(d -> d.getRequestId().startsWith("h")))
                    .extracting(SchedulingDecision::getAction)
                    .containsOnly(SchedulingAction.QUEUE);
            assertThat(only(out, "solo").getAction()).isEqualTo(SchedulingAction.ASSIGN);
        }
    }

    @Test
    void aRequestBiggerThanAnyNodeSpansWholeNodesOfOneCluster() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1", EAST + "/e1/n2", WEST + "/w1/m1")) {
            h.request(submit("big", "a", 16, T0 + SECOND)).watermark(T0 + SECOND);
            SchedulingDecision d = only(h.decisions(), "big");
            assertThat(d.getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(d.getTargets()).hasSize(2);
            assertThat(d.getTargets()).extracting(DecisionTarget::getCluster).containsOnly("e1");
            assertThat(d.getTargets()).allSatisfy(t -> assertThat(t.getGpuIndices()).hasSize(8));
        }
    }

    @Test
    void higherPriorityWorkPreemptsLowerAndThePreemptedWaitsAndReturns() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1")) {
            WorkloadRequest low = request("low", "a", 8, T0 + SECOND).setPriority(1).build();
            WorkloadRequest high = request("high", "b", 4, T0 + 2 * SECOND).setPriority(8).build();
            h.request(low).request(high).watermark(T0 + 2 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(actions(of(out, "low")))
                    .containsExactly(SchedulingAction.ASSIGN, SchedulingAction.PREEMPT);
            SchedulingDecision preempted = of(out, "low").get(1);
            assertThat(preempted.getReason())
                    .contains("preempted by high (tenant b, priority 8 > 1)")
                    .contains("it waits again");
            assertThat(preempted.getCause()).isEqualTo("high");
            assertThat(preempted.getTargets()).isEmpty();
            SchedulingDecision placed = only(out, "high");
            assertThat(placed.getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(placed.getReason()).contains("preempted low (priority 1)");
            // The preempted decision comes first: its GPUs are free before they are taken.
            assertThat(out.indexOf(preempted)).isLessThan(out.indexOf(placed));

            h.request(event(high, RequestLifecycle.COMPLETED, T0 + MINUTE)).watermark(T0 + MINUTE);
            SchedulingDecision back = only(h.decisions(), "low");
            assertThat(back.getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(back.getQueuedSince()).isEqualTo(Instant.ofEpochMilli(T0 + 2 * SECOND));
        }
    }

    @Test
    void withoutPreemptionHigherPriorityWorkWaits() throws Exception {
        SchedulerPolicy never = LENIENT.toBuilder().preemption(PreemptionPolicy.NEVER).build();
        try (var h = fleet(config(never), EAST + "/e1/n1")) {
            h.request(request("low", "a", 8, T0 + SECOND).setPriority(1).build())
                    .request(request("high", "b", 4, T0 + 2 * SECOND).setPriority(8).build())
                    .watermark(T0 + 2 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(actions(of(out, "low"))).containsExactly(SchedulingAction.ASSIGN);
            assertThat(only(out, "high").getAction()).isEqualTo(SchedulingAction.QUEUE);
        }
    }

    @Test
    void workOnANodeThatGoesDownIsRescheduledOrWaitsAgain() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1", EAST + "/e1/n2")) {
            h.request(submit("r1", "a", 4, T0 + SECOND)).watermark(T0 + SECOND);
            SchedulingDecision first = only(h.decisions(), "r1");
            String failing = first.getNode();
            String other = failing.equals("n1") ? "n2" : "n1";

            h.signal(health(EAST, "e1", failing, NodeStatus.DOWN, T0 + MINUTE))
                    .watermark(T0 + MINUTE);
            SchedulingDecision moved = only(h.decisions(), "r1");
            assertThat(moved.getAction()).isEqualTo(SchedulingAction.RESCHEDULE);
            assertThat(moved.getNode()).isEqualTo(other);
            assertThat(moved.getReason())
                    .contains("node e1/" + failing + " went DOWN")
                    .contains("no samples for 30s")
                    .contains("moved from e1/" + failing);
            assertThat(moved.getCause()).isEqualTo("e1/" + failing);

            // No room left anywhere: it waits again.
            h.request(submit("r2", "b", 4, T0 + MINUTE + SECOND))
                    .signal(health(EAST, "e1", other, NodeStatus.DRAIN, T0 + 2 * MINUTE))
                    .watermark(T0 + 2 * MINUTE);
            List<SchedulingDecision> out = h.decisions();
            assertThat(of(out, "r1"))
                    .extracting(SchedulingDecision::getAction)
                    .containsExactly(SchedulingAction.QUEUE);
            assertThat(of(out, "r1").get(0).getReason())
                    .contains("went DRAIN")
                    .contains("no other node has room, so it waits again");
            assertThat(of(out, "r2"))
                    .extracting(SchedulingDecision::getAction)
                    .containsExactly(SchedulingAction.ASSIGN, SchedulingAction.QUEUE);

            // The node comes back: both are placed again.
            h.signal(health(EAST, "e1", failing, NodeStatus.UP, T0 + 3 * MINUTE))
                    .watermark(T0 + 3 * MINUTE);
            assertThat(actions(h.decisions()))
                    .containsExactly(SchedulingAction.ASSIGN, SchedulingAction.ASSIGN);
        }
    }

    @Test
    void aSaturatedOrUnhealthyPreferredRegionSendsRequestsElsewhereWithTheDistanceInTheScore()
            throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1", WEST + "/w1/m1")) {
            h.request(request("fill", "a", 8, T0 + SECOND).setPreferredRegion(EAST).build())
                    .request(
                            request("next", "a", 2, T0 + 2 * SECOND)
                                    .setPreferredRegion(EAST)
                                    .build())
                    .watermark(T0 + 2 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(only(out, "fill").getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(only(out, "fill").getReason()).contains("in its preferred region us-east-1");
            SchedulingDecision rerouted = only(out, "next");
            assertThat(rerouted.getAction()).isEqualTo(SchedulingAction.REROUTE);
            assertThat(rerouted.getRegion()).isEqualTo(WEST);
            assertThat(rerouted.getScoreParts().getRegion()).isEqualTo(-20.0);
            assertThat(rerouted.getReason()).startsWith("us-east-1 has no room (");

            // East reports most of its nodes down: requests that prefer it go west at once.
            h.signal(FleetSignal.capacity(T0 + MINUTE, EAST, "e1", 1, 4))
                    .request(
                            request("avoid", "b", 1, T0 + MINUTE + 1)
                                    .setPreferredRegion(EAST)
                                    .build())
                    .watermark(T0 + MINUTE + 1);
            SchedulingDecision avoided = only(h.decisions(), "avoid");
            assertThat(avoided.getAction()).isEqualTo(SchedulingAction.REROUTE);
            assertThat(avoided.getReason())
                    .startsWith("us-east-1 is unhealthy (1 of 4 nodes healthy");
            assertThat(avoided.getCapacityVersion()).isEqualTo(T0 + MINUTE);
        }
    }

    @Test
    void atEqualPriorityTheTenantThatUsedLessGoesFirstUntilAgeLiftsTheOther() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1")) {
            WorkloadRequest heavy = submit("heavy", "a", 8, T0);
            h.request(heavy).request(event(heavy, RequestLifecycle.STARTED, T0 + 1));
            // a has used 8 GPUs for half an hour; b nothing. Both queue (a first).
            h.request(submit("a2", "a", 8, T0 + 29 * MINUTE))
                    .request(submit("b2", "b", 8, T0 + 29 * MINUTE + SECOND))
                    .request(event(heavy, RequestLifecycle.COMPLETED, T0 + 30 * MINUTE))
                    .watermark(T0 + 30 * MINUTE);
            List<SchedulingDecision> out = h.decisions();
            assertThat(actions(of(out, "b2")))
                    .containsExactly(SchedulingAction.QUEUE, SchedulingAction.ASSIGN);
            assertThat(actions(of(out, "a2"))).containsExactly(SchedulingAction.QUEUE);
            SchedulingDecision b2 = of(out, "b2").get(1);
            assertThat(b2.getQuota().getDecayedGpuHours()).isZero();
            assertThat(of(out, "a2").get(0).getQuota().getDecayedGpuHours()).isGreaterThan(2.0);
        }
    }

    @Test
    void aLongWaitRaisesTheEffectivePriorityAboveALaterComer() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1")) {
            WorkloadRequest heavy = submit("heavy", "a", 8, T0);
            h.request(heavy).request(event(heavy, RequestLifecycle.STARTED, T0 + 1));
            h.request(submit("a2", "a", 8, T0 + 29 * MINUTE))
                    .request(submit("b2", "b", 8, T0 + 39 * MINUTE))
                    .request(event(heavy, RequestLifecycle.COMPLETED, T0 + 40 * MINUTE))
                    .watermark(T0 + 40 * MINUTE);
            List<SchedulingDecision> out = h.decisions();
            SchedulingDecision placed = of(out, "a2").get(1);
            assertThat(placed.getAction()).isEqualTo(SchedulingAction.ASSIGN);
            // 11 minutes waited, aging step 5 min: two steps up.
            assertThat(placed.getEffectivePriority()).isEqualTo(7);
            assertThat(actions(of(out, "b2"))).containsExactly(SchedulingAction.QUEUE);
        }
    }

    @Test
    void inferenceGoesWhereTheSameModelVersionIsAlreadyWarm() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1", WEST + "/w1/m1")) {
            // A replica of the model in the west, a 2-GPU job in the east.
            h.request(inference("rep1", "b", 100, T0 + SECOND, WEST))
                    .request(request("x", "a", 2, T0 + 2 * SECOND).setPreferredRegion(EAST).build())
                    .watermark(T0 + 2 * SECOND);
            assertThat(only(h.decisions(), "rep1").getNode()).isEqualTo("m1");

            // Bin-pack alone would pick the fuller east node (3 of 8 vs 2 of 8 in use); the
            // warm weights of the same model version win.
            h.request(inference("rep2", "b", 100, T0 + 3 * SECOND, null))
                    .watermark(T0 + 3 * SECOND);
            SchedulingDecision rep2 = only(h.decisions(), "rep2");
            assertThat(rep2.getNode()).isEqualTo("m1");
            assertThat(rep2.getScoreParts().getWarm()).isEqualTo(15.0);
            assertThat(rep2.getReason()).contains("warm replica 15.0");

            // Another version of the model has no warm replica: bin-pack decides.
            h.request(
                            WorkloadRequest.newBuilder(
                                            inference("other", "b", 100, T0 + 4 * SECOND, null))
                                    .setModelVersion("3.1.2")
                                    .build())
                    .watermark(T0 + 4 * SECOND);
            SchedulingDecision other = only(h.decisions(), "other");
            assertThat(other.getNode()).isEqualTo("n1");
            assertThat(other.getScoreParts().getWarm()).isZero();
        }
    }

    private static WorkloadRequest inference(
            String id, String tenant, long tokens, long at, String region) {
        return WorkloadRequest.newBuilder(inference(id, tenant, tokens, at))
                .setPreferredRegion(region)
                .build();
    }

    @Test
    void aQueuedRequestPastItsDeadlineIsRejected() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1")) {
            h.request(submit("fill", "a", 8, T0 + SECOND))
                    .request(
                            request("late", "b", 8, T0 + 2 * SECOND)
                                    .setDeadline(Instant.ofEpochMilli(T0 + 2 * MINUTE))
                                    .build())
                    .watermark(T0 + 2 * MINUTE);
            List<SchedulingDecision> late = of(h.decisions(), "late");
            assertThat(actions(late))
                    .containsExactly(SchedulingAction.QUEUE, SchedulingAction.REJECT);
            assertThat(late.get(1).getReason()).contains("deadline 2026-11-26T00:02:00Z passed");
            assertThat(late.get(1).getDecidedAt()).isEqualTo(Instant.ofEpochMilli(T0 + 2 * MINUTE));
        }
    }

    @Test
    void cancellingAWaitingGangMemberRejectsTheRestOfTheGang() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1", EAST + "/e1/n2")) {
            WorkloadRequest g1 =
                    request("g1", "a", 8, T0 + SECOND).setGangId("g").setGangSize(3).build();
            WorkloadRequest g2 =
                    request("g2", "a", 8, T0 + 2 * SECOND).setGangId("g").setGangSize(3).build();
            h.request(g1)
                    .request(g2)
                    .request(event(g1, RequestLifecycle.CANCELLED, T0 + 3 * SECOND));
            h.watermark(T0 + 3 * SECOND);
            List<SchedulingDecision> out = h.decisions();
            assertThat(actions(of(out, "g1")))
                    .containsExactly(SchedulingAction.QUEUE, SchedulingAction.RELEASE);
            assertThat(actions(of(out, "g2")))
                    .containsExactly(SchedulingAction.QUEUE, SchedulingAction.REJECT);
            assertThat(of(out, "g2").get(1).getReason()).contains("gang g lost its member g1");
        }
    }

    @Test
    void staleTelemetryTakesNoNewWork() throws Exception {
        try (var h = fleet(config(), EAST + "/e1/n1")) {
            h.request(submit("r1", "a", 1, T0 + 2 * MINUTE)).watermark(T0 + 2 * MINUTE);
            SchedulingDecision d = only(h.decisions(), "r1");
            assertThat(d.getAction()).isEqualTo(SchedulingAction.QUEUE);
            assertThat(d.getNodesFiltered()).containsEntry("telemetry stale", 1);

            // A fresh reading brings the node back, and the queue is tried again.
            h.signals(
                            SchedulingFixtures.readings(
                                    EAST, "e1", "n1", 8, H100, 81_559, T0 + 3 * MINUTE))
                    .watermark(T0 + 3 * MINUTE);
            assertThat(only(h.decisions(), "r1").getAction()).isEqualTo(SchedulingAction.ASSIGN);
        }
    }

    @Test
    void theSameInputsInAnyArrivalOrderGiveTheSameDecisions() throws Exception {
        List<Object> inputs = new ArrayList<>();
        inputs.addAll(node(EAST, "e1", "n1", 8, T0));
        inputs.addAll(node(WEST, "w1", "m1", 8, T0));
        for (int i = 0; i < 12; i++) {
            inputs.add(
                    request("r" + i, i % 2 == 0 ? "a" : "b", 1 + i % 4, T0 + (i / 3) * SECOND)
                            .setPriority(i % 7)
                            .build());
        }
        inputs.add(health(EAST, "e1", "n1", NodeStatus.DOWN, T0 + 2 * SECOND));

        List<SchedulingDecision> forward = run(inputs);
        List<Object> reversed = new ArrayList<>(inputs);
        java.util.Collections.reverse(reversed);
        List<SchedulingDecision> backward = run(reversed);

        assertThat(forward).hasSizeGreaterThan(12);
        assertThat(comparable(backward)).isEqualTo(comparable(forward));
    }

    private static List<SchedulingDecision> run(List<Object> inputs) throws Exception {
        try (var h = new SchedulerHarness(config(LENIENT))) {
            for (Object in : inputs) {
                if (in instanceof WorkloadRequest r) {
                    h.request(r);
                } else {
                    h.signal((FleetSignal) in);
                }
            }
            h.watermark(T0 + MINUTE);
            return h.all();
        }
    }

    /** Decisions without what differs between runs (wall-clock latency and emission time). */
    static List<SchedulingDecision> comparable(List<SchedulingDecision> decisions) {
        return decisions.stream()
                .map(
                        d ->
                                SchedulingDecision.newBuilder(d)
                                        .setProcessingLatencyMs(0)
                                        .setEmittedAt(Instant.EPOCH)
                                        .build())
                .toList();
    }

    @Test
    void aRestoredSchedulerDecidesExactlyAsOneThatNeverStopped() throws Exception {
        List<Object> first = new ArrayList<>();
        first.addAll(node(EAST, "e1", "n1", 8, T0));
        first.addAll(node(EAST, "e1", "n2", 8, T0));
        WorkloadRequest a = submit("a1", "a", 6, T0 + SECOND);
        first.add(a);
        first.add(request("b1", "b", 6, T0 + SECOND).setPriority(9).build());
        first.add(submit("c1", "a", 6, T0 + 2 * SECOND));
        // Still buffered (ahead of the watermark) when the snapshot is taken.
        first.add(submit("d0", "a", 1, T0 + 40 * SECOND));
        List<Object> second = new ArrayList<>();
        second.add(event(a, RequestLifecycle.COMPLETED, T0 + MINUTE));
        second.add(submit("d1", "b", 2, T0 + MINUTE + SECOND));
        second.add(health(EAST, "e1", "n2", NodeStatus.DOWN, T0 + 2 * MINUTE));

        List<SchedulingDecision> uninterrupted;
        try (var h = new SchedulerHarness(config(LENIENT))) {
            feed(h, first);
            h.watermark(T0 + 30 * SECOND);
            feed(h, second);
            h.watermark(T0 + 10 * MINUTE);
            uninterrupted = h.all();
        }

        List<SchedulingDecision> restored = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (var h = new SchedulerHarness(config(LENIENT))) {
            feed(h, first);
            h.watermark(T0 + 30 * SECOND);
            snapshot = h.snapshot(1);
            restored.addAll(h.all());
        }
        // A new operator instance: its books come from the snapshot alone.
        try (var h = new SchedulerHarness(config(LENIENT), snapshot)) {
            feed(h, second);
            h.watermark(T0 + 10 * MINUTE);
            restored.addAll(h.all());
        }

        assertThat(comparable(restored)).isEqualTo(comparable(uninterrupted));
        // Timers (expiries), preemption and a failed node all crossed the restore.
        assertThat(actions(uninterrupted))
                .contains(
                        SchedulingAction.ASSIGN,
                        SchedulingAction.QUEUE,
                        SchedulingAction.PREEMPT,
                        SchedulingAction.RELEASE);
        assertThat(uninterrupted)
                .anySatisfy(d -> assertThat(d.getReason()).contains("e1/n2 went DOWN"));
    }

    private static void feed(SchedulerHarness h, List<Object> inputs) throws Exception {
        for (Object in : inputs) {
            if (in instanceof WorkloadRequest r) {
                h.request(r);
            } else {
                h.signal((FleetSignal) in);
            }
        }
    }

    @Test
    void endedRequestsAndIdleTenantsAreForgotten() throws Exception {
        SchedulerPolicy quick =
                LENIENT.toBuilder()
                        .fairShareHalfLife(Duration.ofMinutes(1))
                        .finishedRetention(Duration.ofMinutes(10))
                        .build();
        try (var h = fleet(config(quick), EAST + "/e1/n1")) {
            WorkloadRequest r = submit("r1", "a", 2, T0 + SECOND);
            h.request(r)
                    .request(event(r, RequestLifecycle.STARTED, T0 + 2 * SECOND))
                    .request(event(r, RequestLifecycle.COMPLETED, T0 + MINUTE))
                    .request(submit("gone", "nobody", 1, T0 + MINUTE))
                    .watermark(T0 + MINUTE);
            // One node, one clock; requests and tenants still remembered.
            assertThat(h.harness.numKeyedStateEntries()).isGreaterThan(2);
            h.watermark(T0 + 2 * 60 * MINUTE);
            assertThat(h.harness.numKeyedStateEntries()).isEqualTo(2);
            assertThat(actions(h.decisions()))
                    .containsExactly(
                            SchedulingAction.ASSIGN,
                            SchedulingAction.RELEASE,
                            SchedulingAction.REJECT);
        }
    }

    @Test
    void anInputBehindTheWatermarkIsDecidedAtOnce() throws Exception {
        try (var h = fleet(config(LENIENT), EAST + "/e1/n1")) {
            h.watermark(T0 + MINUTE);
            h.request(submit("late", "a", 1, T0 + 30 * SECOND));
            SchedulingDecision d = only(h.decisions(), "late");
            assertThat(d.getAction()).isEqualTo(SchedulingAction.ASSIGN);
            assertThat(d.getDecidedAt()).isEqualTo(Instant.ofEpochMilli(T0 + 30 * SECOND));
        }
    }

    @Test
    void stateIsPojosAndAvroWithoutKryo() {
        for (Class<?> type :
                List.of(
                        NodeBook.class,
                        RequestBook.class,
                        TenantBook.class,
                        ClusterView.class,
                        SchedulerClock.class,
                        InputBatch.class,
                        BufferedInput.class,
                        FleetSignal.class)) {
            assertThat(TypeInformation.of(type))
                    .as(type.getSimpleName())
                    .isInstanceOf(PojoTypeInfo.class);
        }
    }
}
