package dev.substrate.dashboard.tenants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.DecisionTarget;
import dev.substrate.events.GpuMetrics;
import dev.substrate.events.MetricsLevel;
import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TenantUsageTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private final TenantUsage usage = new TenantUsage();

    @Test
    void attributesGpuHoursAndNodeEnergyToTheTenantsHoldingTheGpus() {
        // acme holds 2 GPUs of node-1 from 10:00:00 to 10:01:30; beta 1 GPU from 10:00:30 on.
        usage.decision(decision("acme", "r1", 1, SchedulingAction.ASSIGN, 0, 0, 1));
        usage.decision(decision("beta", "r2", 1, SchedulingAction.ASSIGN, 30, 2));
        usage.decision(decision("acme", "r1", 2, SchedulingAction.RELEASE, 90));
        // A repeat of acme's placement (at-least-once output): applied once.
        usage.decision(decision("acme", "r1", 1, SchedulingAction.ASSIGN, 0, 0, 1));

        // 10:00 window, 4 GPUs reported, 24 kJ: 100 J per GPU-second.
        // acme 2 GPUs × 60 s = 12 kJ; beta 1 GPU × 30 s = 3 kJ.
        usage.window(nodeWindow("node-1", 0, 4, 24_000));
        // 10:01 window, 48 kJ: 200 J per GPU-second. acme 2 × 30 s = 12 kJ; beta 1 × 60 s = 12 kJ.
        usage.window(nodeWindow("node-1", 60, 4, 48_000));
        // Another node's window and a cluster rollup: nobody holds those GPUs.
        usage.window(nodeWindow("node-2", 0, 8, 99_000));
        usage.window(rollup(0, 99_000));

        Map<String, TenantTotals> totals = byTenant(usage.totals());
        assertThat(totals).containsOnlyKeys("acme", "beta");
        // acme: 2 GPUs × 90 s; beta: 1 GPU × (10:02:00 − 10:00:30), open up to the newest event.
        assertThat(totals.get("acme").gpuHours()).isCloseTo(180 / 3600.0, within(1e-12));
        assertThat(totals.get("beta").gpuHours()).isCloseTo(90 / 3600.0, within(1e-12));
        assertThat(totals.get("acme").gpusHeld()).isZero();
        assertThat(totals.get("beta").gpusHeld()).isEqualTo(1);
        assertThat(totals.get("acme").energyJoules()).isCloseTo(24_000, within(1e-9));
        assertThat(totals.get("beta").energyJoules()).isCloseTo(15_000, within(1e-9));
        assertThat(totals.get("beta").asOf()).isEqualTo(T0.plusSeconds(120));

        // A late revision of the 10:00 window (36 kJ: 150 J per GPU-second) replaces its share.
        usage.window(nodeWindow("node-1", 0, 4, 36_000));
        totals = byTenant(usage.totals());
        assertThat(totals.get("acme").energyJoules()).isCloseTo(18_000 + 12_000, within(1e-9));
        assertThat(totals.get("beta").energyJoules()).isCloseTo(4_500 + 12_000, within(1e-9));
    }

    @Test
    void aNodeWithMoreGpusHeldThanReportedNeverGivesAwayMoreThanItsEnergy() {
        usage.decision(decision("acme", "r1", 1, SchedulingAction.ASSIGN, 0, 0, 1, 2, 3));
        usage.window(nodeWindow("node-1", 0, 2, 12_000)); // only 2 of the 4 GPUs reported

        assertThat(byTenant(usage.totals()).get("acme").energyJoules())
                .isCloseTo(12_000, within(1e-9));
    }

    private static Map<String, TenantTotals> byTenant(List<TenantTotals> totals) {
        return totals.stream().collect(Collectors.toMap(TenantTotals::tenant, t -> t));
    }

    private static SchedulingDecision decision(
            String tenant,
            String request,
            int sequence,
            SchedulingAction action,
            int atSecond,
            Integer... gpus) {
        Instant at = T0.plusSeconds(atSecond);
        List<DecisionTarget> targets =
                gpus.length == 0
                        ? List.of()
                        : List.of(
                                DecisionTarget.newBuilder()
                                        .setRegion("eu-west")
                                        .setCluster("h100-a")
                                        .setNode("node-1")
                                        .setGpuIndices(List.of(gpus))
                                        .build());
        return SchedulingDecision.newBuilder()
                .setDecisionId(request + "#" + sequence)
                .setRequestId(request)
                .setSequence(sequence)
                .setTenant(tenant)
                .setAction(action)
                .setDecidedAt(at)
                .setKind("TRAINING")
                .setAcceleratorType("H100")
                .setGpus(gpus.length)
                .setPriority(5)
                .setEffectivePriority(5)
                .setTargets(targets)
                .setReason("test")
                .setHealthVersion(0)
                .setCapacityVersion(0)
                .setProcessingLatencyMs(1)
                .setEmittedAt(at)
                .build();
    }

    private static GpuMetrics nodeWindow(String node, int startSecond, int gpus, double joules) {
        return window(MetricsLevel.NODE, node, startSecond, gpus, joules);
    }

    private static GpuMetrics rollup(int startSecond, double joules) {
        return window(MetricsLevel.CLUSTER, null, startSecond, 16, joules);
    }

    private static GpuMetrics window(
            MetricsLevel level, String node, int startSecond, int gpus, double joules) {
        Instant start = T0.plusSeconds(startSecond);
        return GpuMetrics.newBuilder()
                .setWindowStart(start)
                .setWindowEnd(start.plusSeconds(60))
                .setWindowSizeS(60)
                .setLevel(level)
                .setRegion("eu-west")
                .setCluster("h100-a")
                .setNode(node)
                .setGpuCount(gpus)
                .setSampleCount(gpus * 60L)
                .setEnergyJoules(joules)
                .setGpuIdleFraction(0)
                .setApplicationsClocksSettingFraction(0)
                .setSwPowerCapFraction(0)
                .setHwSlowdownFraction(0)
                .setSyncBoostFraction(0)
                .setSwThermalSlowdownFraction(0)
                .setHwThermalSlowdownFraction(0)
                .setHwPowerBrakeSlowdownFraction(0)
                .setEccCorrectedDelta(0)
                .setEccUncorrectedDelta(0)
                .build();
    }
}
