package dev.substrate.operators.scheduling;

import dev.substrate.events.NodeStatus;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.config.InferenceLimits;
import dev.substrate.operators.scheduling.config.OverQuotaAction;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.config.TenantQuota;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Requests, fleets and quotas for the scheduler's tests. */
final class SchedulingFixtures {

    static final String H100 = "H100-80GB";
    static final String A100 = "A100-40GB";
    static final String EAST = "us-east-1";
    static final String WEST = "us-west-2";
    static final long H100_MIB = 81_559;

    /** 2026-11-26T00:00:00Z. */
    static final long T0 = Instant.parse("2026-11-26T00:00:00Z").toEpochMilli();

    static final long SECOND = 1000;
    static final long MINUTE = 60 * SECOND;

    private SchedulingFixtures() {}

    /** A TRAINING request for {@code gpus} H100s at priority 5, 10 GiB each, submitted at t. */
    static WorkloadRequest.Builder request(String id, String tenant, int gpus, long at) {
        return WorkloadRequest.newBuilder()
                .setEventId(id + ":submit")
                .setTimestamp(Instant.ofEpochMilli(at))
                .setRequestId(id)
                .setLifecycle(RequestLifecycle.SUBMITTED)
                .setTenant(tenant)
                .setModelName("llama-3.1-8b")
                .setModelVersion("3.1.0")
                .setKind(WorkloadKind.TRAINING)
                .setGpus(gpus)
                .setMemoryPerGpuMib(10_240)
                .setAcceleratorType(H100)
                .setPriority(5)
                .setPreferredRegion(null)
                .setDeadline(null);
    }

    static WorkloadRequest submit(String id, String tenant, int gpus, long at) {
        return request(id, tenant, gpus, at).build();
    }

    /** The same request's {@code lifecycle} event at {@code at}. */
    static WorkloadRequest event(WorkloadRequest submission, RequestLifecycle lifecycle, long at) {
        return WorkloadRequest.newBuilder(submission)
                .setEventId(submission.getRequestId() + ":" + lifecycle + "@" + at)
                .setTimestamp(Instant.ofEpochMilli(at))
                .setLifecycle(lifecycle)
                .build();
    }

    /** Readings of an idle node's {@code gpus} GPUs and its health UP, at {@code at}. */
    static List<FleetSignal> node(String region, String cluster, String node, int gpus, long at) {
        return node(region, cluster, node, gpus, H100, H100_MIB, at);
    }

    static List<FleetSignal> node(
            String region,
            String cluster,
            String node,
            int gpus,
            String type,
            long memoryMib,
            long at) {
        List<FleetSignal> signals = readings(region, cluster, node, gpus, type, memoryMib, at);
        signals.add(health(region, cluster, node, NodeStatus.UP, at));
        return signals;
    }

    static List<FleetSignal> readings(
            String region,
            String cluster,
            String node,
            int gpus,
            String type,
            long memoryMib,
            long at) {
        List<FleetSignal> signals = new ArrayList<>();
        for (int i = 0; i < gpus; i++) {
            signals.add(
                    FleetSignal.reading(
                            at, region, cluster, node, i, type, memoryMib, 0, 0.0, 70.0, 700.0));
        }
        return signals;
    }

    static FleetSignal health(
            String region, String cluster, String node, NodeStatus status, long at) {
        return FleetSignal.health(
                at,
                region,
                cluster,
                node,
                status,
                status == NodeStatus.DOWN ? "no samples for 30s" : null);
    }

    /** Tenants a and b: 64 nominal H100s each, a pool of 16, borrowing up to 16, queue. */
    static SchedulerConfig config(SchedulerPolicy policy) {
        Map<String, TenantQuota> tenants = new TreeMap<>();
        tenants.put("a", quota(64, 16, OverQuotaAction.QUEUE, null));
        tenants.put("b", quota(64, 16, OverQuotaAction.QUEUE, null));
        return SchedulerConfig.of(policy, Map.of(H100, 16), tenants, null);
    }

    static SchedulerConfig config() {
        return config(SchedulerPolicy.defaults());
    }

    static TenantQuota quota(
            int nominal, int borrowing, OverQuotaAction overQuota, InferenceLimits inference) {
        return new TenantQuota(
                new TreeMap<>(Map.of(H100, nominal)),
                new TreeMap<>(borrowing > 0 ? Map.of(H100, borrowing) : Map.of()),
                overQuota,
                inference);
    }
}
