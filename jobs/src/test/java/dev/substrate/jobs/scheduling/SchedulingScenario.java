package dev.substrate.jobs.scheduling;

import dev.substrate.events.GpuSample;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.operators.scheduling.config.OverQuotaAction;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.config.TenantQuota;
import dev.substrate.operators.telemetry.anomaly.AnomalyConfig;
import dev.substrate.operators.telemetry.capacity.CapacityConfig;
import dev.substrate.operators.telemetry.health.NodeHealthConfig;
import dev.substrate.testkit.GpuSamples;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.data.Record;

/**
 * A deterministic fleet and workload for the scheduling ITCases: two regions of one H100 cluster
 * each (4 nodes × 8 GPUs), idle readings every 10 s, and requests of two tenants that start and
 * complete; the east region can go silent from a given time on.
 */
final class SchedulingScenario {

    static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");
    static final String EAST = "us-east-1";
    static final String WEST = "us-west-2";
    static final String H100 = "H100-80GB";
    static final int NODES_PER_CLUSTER = 4;
    static final int GPUS_PER_NODE = 8;

    private SchedulingScenario() {}

    /**
     * Readings of both clusters every 10 s over {@code span}; east silent from {@code eastDownAt}.
     */
    static List<GpuSample> fleet(Duration span, Instant eastDownAt) {
        List<GpuSample> samples = new ArrayList<>();
        for (long t = 0; t < span.toMillis(); t += 10_000) {
            for (String region : List.of(EAST, WEST)) {
                Instant at = T0.plusMillis(t + (region.equals(EAST) ? 0 : 5_000));
                if (region.equals(EAST) && !at.isBefore(eastDownAt)) {
                    continue;
                }
                String cluster = region.equals(EAST) ? "e1" : "w1";
                for (int n = 1; n <= NODES_PER_CLUSTER; n++) {
                    for (int g = 0; g < GPUS_PER_NODE; g++) {
                        samples.add(GpuSamples.idle(region, cluster, cluster + "-n" + n, g, at));
                    }
                }
            }
        }
        samples.sort(Comparator.comparing(GpuSample::getTimestamp));
        return samples;
    }

    /**
     * {@code count} requests, one every {@code spacing} from 10 s on: 1 or 2 GPUs, tenants a and b,
     * preferring east, west or nothing; each starts 5 s after it is submitted and completes after
     * {@code runtime}, except every fifth, which runs on; one pair is a gang.
     */
    static List<WorkloadRequest> requests(int count, Duration spacing, Duration runtime) {
        Random random = new Random(42);
        List<WorkloadRequest> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Instant at = T0.plusSeconds(10).plus(spacing.multipliedBy(i));
            String region =
                    switch (i % 3) {
                        case 0 -> EAST;
                        case 1 -> WEST;
                        default -> null;
                    };
            WorkloadRequest.Builder b =
                    WorkloadRequest.newBuilder()
                            .setEventId("req-" + i + ":submit")
                            .setTimestamp(at)
                            .setRequestId(String.format("req-%03d", i))
                            .setLifecycle(RequestLifecycle.SUBMITTED)
                            .setTenant(i % 2 == 0 ? "a" : "b")
                            .setModelName("llama-3.1-8b")
                            .setModelVersion("3.1.0")
                            .setKind(i % 4 == 0 ? WorkloadKind.INFERENCE : WorkloadKind.TRAINING)
                            .setGpus(1 + random.nextInt(2))
                            .setMemoryPerGpuMib(20_480)
                            .setAcceleratorType(H100)
                            .setPriority(random.nextInt(10))
                            .setPreferredRegion(region)
                            .setDeadline(null);
            if (i == 3 || i == 4) {
                // One tenant's two workers: a gang of mixed tenants is rejected.
                b.setGangId("gang-1")
                        .setGangSize(2)
                        .setTenant("a")
                        .setPreferredRegion(EAST)
                        .setPriority(6);
            }
            WorkloadRequest submit = b.build();
            events.add(submit);
            events.add(at(submit, RequestLifecycle.STARTED, at.plusSeconds(5)));
            // Every fifth runs on, and so does the gang (req-003 and req-004), both workers.
            if (i % 5 != 4 && i != 3) {
                events.add(at(submit, RequestLifecycle.COMPLETED, at.plus(runtime)));
            }
        }
        events.sort(Comparator.comparing(WorkloadRequest::getTimestamp));
        return events;
    }

    private static WorkloadRequest at(WorkloadRequest r, RequestLifecycle lifecycle, Instant at) {
        return WorkloadRequest.newBuilder(r)
                .setEventId(r.getRequestId() + ":" + lifecycle)
                .setTimestamp(at)
                .setLifecycle(lifecycle)
                .build();
    }

    /** Tenants a and b with room for everything, under the default policy. */
    static SchedulerConfig config() {
        Map<String, TenantQuota> tenants = new TreeMap<>();
        for (String tenant : List.of("a", "b")) {
            tenants.put(
                    tenant,
                    new TenantQuota(
                            new TreeMap<>(Map.of(H100, 64)),
                            new TreeMap<>(),
                            OverQuotaAction.QUEUE,
                            null));
        }
        return SchedulerConfig.of(SchedulerPolicy.defaults(), Map.of(), tenants, null);
    }

    /** Fleet health over {@code samples} as the job runs it, in event time only (no wall clock). */
    static FleetHealthStage.Output fleetHealth(DataStream<GpuSample> samples) {
        return new FleetHealthStage(
                        new FleetHealthStage.Settings(
                                NodeHealthConfig.defaults().withWallClockTimeout(null),
                                AnomalyConfig.defaults(),
                                CapacityConfig.defaults(),
                                null,
                                null,
                                null,
                                null))
                .addTo(samples);
    }

    /** The job's event time, as the ingest assigns it. */
    static <T> WatermarkStrategy<T> eventTime(EventTimeWatermarks.EventTimeExtractor<T> time) {
        return EventTimeWatermarks.strategy(
                time, Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofDays(36_500));
    }

    static DataStream<GpuSample> samples(StreamExecutionEnvironment env, List<GpuSample> list) {
        return env.fromData(list, new AvroTypeInfo<>(GpuSample.class))
                .assignTimestampsAndWatermarks(eventTime(s -> s.getTimestamp().toEpochMilli()));
    }

    static DataStream<WorkloadRequest> requests(
            StreamExecutionEnvironment env, List<WorkloadRequest> list) {
        return env.fromData(list, new AvroTypeInfo<>(WorkloadRequest.class))
                .assignTimestampsAndWatermarks(eventTime(r -> r.getTimestamp().toEpochMilli()));
    }

    /** A checkpointable source that hands out {@code list} at {@code perSecond}, in order. */
    static <T extends org.apache.avro.specific.SpecificRecordBase> DataStream<T> paced(
            StreamExecutionEnvironment env,
            List<T> list,
            Class<T> type,
            double perSecond,
            WatermarkStrategy<T> watermarks,
            String name) {
        ArrayList<T> copy = new ArrayList<>(list);
        GeneratorFunction<Long, T> at = index -> copy.get(index.intValue());
        DataGeneratorSource<T> source =
                new DataGeneratorSource<>(
                        at,
                        copy.size(),
                        RateLimiterStrategy.perSecond(perSecond),
                        new AvroTypeInfo<>(type));
        return env.fromSource(source, watermarks, name).setParallelism(1).uid("source-" + name);
    }

    /** A decision row of the lake as the field values that must not differ between runs. */
    static String row(Record r) {
        return r.getField("decision_id")
                + " "
                + r.getField("action")
                + " "
                + r.getField("decided_at")
                + " "
                + r.getField("targets")
                + " "
                + r.getField("score")
                + " "
                + r.getField("reason");
    }

    static String row(SchedulingDecision d) {
        return d.getDecisionId() + " " + d.getAction() + " " + d.getDecidedAt();
    }
}
