package dev.substrate.bench;

import dev.substrate.events.NodeStatus;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.FleetScheduler;
import dev.substrate.operators.scheduling.FleetSignal;
import dev.substrate.operators.scheduling.SchedulerState;
import dev.substrate.operators.scheduling.config.OverQuotaAction;
import dev.substrate.operators.scheduling.config.PlacementStrategy;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.config.TenantQuota;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: one placement over a fleet of 1,000 8-GPU nodes (4 regions, 40 clusters), half of the GPUs
 * held by earlier requests so that scores differ: a request is submitted (filter, score every
 * candidate node, reserve: an ASSIGN) and then completed (a RELEASE), in the scheduler's own code
 * ({@link FleetScheduler}), without Flink around it. One operation is both decisions; the
 * placement's scan over the candidates is nearly all of it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PlacementBenchmark {

    private static final String H100 = BenchFleet.H100;
    private static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");

    @Param({"1000"})
    public int nodes;

    @Param({"BIN_PACK", "SPREAD"})
    public String placement;

    private FleetScheduler scheduler;
    private long now;
    private long sequence;
    private SchedulingDecision last;

    @Setup(Level.Trial)
    public void fleet() {
        SchedulerPolicy policy =
                SchedulerPolicy.defaults().toBuilder()
                        .placement(PlacementStrategy.valueOf(placement))
                        // The fleet's readings are taken once: they must not go stale.
                        .telemetryStaleAfter(Duration.ofDays(3650))
                        .reservationTimeout(Duration.ofDays(3650))
                        // Ended requests are forgotten at once, so state stays the same size.
                        .finishedRetention(Duration.ofSeconds(1))
                        .build();
        Map<String, TenantQuota> tenants = new TreeMap<>();
        tenants.put(
                "t",
                new TenantQuota(
                        new TreeMap<>(Map.of(H100, nodes * 8)),
                        new TreeMap<>(),
                        OverQuotaAction.QUEUE,
                        null));
        SchedulerConfig config = SchedulerConfig.of(policy, Map.of(), tenants, null);
        scheduler = new FleetScheduler(config, new SchedulerState(config), d -> last = d, () -> 0L);
        now = T0.toEpochMilli();
        BenchFleet fleet = new BenchFleet(nodes);
        for (int n = 0; n < nodes; n++) {
            for (int g = 0; g < BenchFleet.GPUS_PER_NODE; g++) {
                scheduler.signal(
                        FleetSignal.of(fleet.reading(n, g, Instant.ofEpochMilli(now))), now);
            }
            scheduler.signal(
                    FleetSignal.health(
                            now,
                            fleet.region(n),
                            fleet.cluster(n),
                            fleet.node(n),
                            NodeStatus.UP,
                            null),
                    now);
        }
        // Half the GPUs held, unevenly: 1 to 7 GPUs per node.
        for (int n = 0; n < nodes; n++) {
            int held = 1 + (n * 7919) % 7;
            now += 1;
            scheduler.request(request(held, RequestLifecycle.SUBMITTED), now);
        }
    }

    @Benchmark
    public SchedulingDecision placeAndRelease() {
        now += 2_000;
        scheduler.runDue(now, now);
        WorkloadRequest submitted = request(2, RequestLifecycle.SUBMITTED);
        scheduler.request(submitted, now);
        scheduler.request(
                WorkloadRequest.newBuilder(submitted)
                        .setEventId(submitted.getRequestId() + ":done")
                        .setTimestamp(Instant.ofEpochMilli(now))
                        .setLifecycle(RequestLifecycle.COMPLETED)
                        .build(),
                now);
        return last;
    }

    private WorkloadRequest request(int gpus, RequestLifecycle lifecycle) {
        String id = "req-" + sequence++;
        return WorkloadRequest.newBuilder()
                .setEventId(id + ":" + lifecycle)
                .setTimestamp(Instant.ofEpochMilli(now))
                .setRequestId(id)
                .setLifecycle(lifecycle)
                .setTenant("t")
                .setModelName("llama-3.1-8b")
                .setModelVersion("3.1.0")
                .setKind(WorkloadKind.TRAINING)
                .setGpus(gpus)
                .setMemoryPerGpuMib(20_480)
                .setAcceleratorType(H100)
                .setPriority(5)
                .setPreferredRegion("region-" + (sequence % 4))
                .setDeadline(null)
                .build();
    }
}
