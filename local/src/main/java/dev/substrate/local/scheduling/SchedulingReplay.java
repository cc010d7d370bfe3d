package dev.substrate.local.scheduling;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.local.lake.LakeHistorySource;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.schemas.EventType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.flink.CatalogLoader;

/**
 * {@code substrate replay}: runs the scheduling operator (the same {@link SchedulingStage} code the
 * job runs), bounded, over the lake's requests and fleet signals of an interval, under a quota file
 * that may differ from the one the job ran with, and compares its decisions with those the job
 * recorded then. The lake's tables are read by Iceberg's Flink source on the in-process cluster,
 * pruned to the interval ({@link LakeHistorySource}). Writes nothing: the replayed decisions are
 * collected, never sunk.
 *
 * <p>The replay starts from empty scheduler state at {@code from}: it reproduces the recorded
 * decisions exactly, under the same quota file, when {@code from} is at or before the first request
 * the job saw (state carried over from earlier is not in the interval's input).
 */
public final class SchedulingReplay {

    private final CatalogLoader catalog;
    private final Instant from;
    private final Instant to;
    private final SchedulerConfig config;

    /**
     * @param catalog the lake, as a recipe the in-process cluster loads it from
     * @param from start of the interval (inclusive, event time)
     * @param to end of the interval (exclusive)
     * @param config the quota file to replay under
     */
    public SchedulingReplay(
            CatalogLoader catalog, Instant from, Instant to, SchedulerConfig config) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.from = Objects.requireNonNull(from, "from");
        this.to = Objects.requireNonNull(to, "to");
        this.config = Objects.requireNonNull(config, "config");
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("--from " + from + " must be before --to " + to);
        }
    }

    /** Replays the interval and compares it with what was recorded. */
    public ReplayComparison run() throws Exception {
        Configuration flink = new Configuration();
        flink.set(PipelineOptions.GENERIC_TYPES, false);
        flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        flink.set(RestOptions.ADDRESS, "127.0.0.1");
        flink.set(RestOptions.BIND_PORT, "0");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(1);

        LakeHistorySource<WorkloadRequest> requests =
                history(WorkloadRequest.class, EventType.WORKLOAD_REQUEST.tableName(), "timestamp");
        DataStream<WorkloadRequest> requestStream =
                requests.read(env, watermarks(r -> r.getTimestamp().toEpochMilli()));
        DataStream<SchedulingDecision> decisions =
                new SchedulingStage(new SchedulingStage.Settings(config, null, null))
                        .addTo(
                                requestStream,
                                history(
                                                NodeHealth.class,
                                                FleetHealthStage.NODE_HEALTH_TABLE,
                                                "changed_at")
                                        .read(
                                                env,
                                                watermarks(h -> h.getChangedAt().toEpochMilli())),
                                history(
                                                ClusterCapacity.class,
                                                FleetHealthStage.CLUSTER_CAPACITY_TABLE,
                                                "timestamp")
                                        .read(
                                                env,
                                                watermarks(c -> c.getTimestamp().toEpochMilli())),
                                history(
                                                GpuSample.class,
                                                EventType.GPU_SAMPLE.tableName(),
                                                "timestamp")
                                        .read(
                                                env,
                                                watermarks(s -> s.getTimestamp().toEpochMilli())))
                        .decisions();
        List<SchedulingDecision> replayed = new ArrayList<>();
        JobExecutionResult result =
                LakeHistorySource.run(
                        env,
                        decisions,
                        "substrate replay " + from + " .. " + to,
                        d -> {
                            if (!d.getDecidedAt().isBefore(from) && d.getDecidedAt().isBefore(to)) {
                                replayed.add(SchedulingDecision.newBuilder(d).build());
                            }
                        });
        long requestCount = requests.rowsRead(result);
        if (requestCount == 0) {
            throw new IllegalArgumentException(
                    "the lake has no workload requests from "
                            + from
                            + " to "
                            + to
                            + ": choose an interval in which the job ran");
        }

        StreamExecutionEnvironment recordedEnv =
                StreamExecutionEnvironment.getExecutionEnvironment(flink);
        recordedEnv.setParallelism(1);
        List<SchedulingDecision> recorded = new ArrayList<>();
        LakeHistorySource.run(
                recordedEnv,
                history(SchedulingDecision.class, SchedulingStage.DECISIONS_TABLE, "decided_at")
                        .read(recordedEnv, WatermarkStrategy.noWatermarks()),
                "substrate replay: recorded decisions " + from + " .. " + to,
                recorded::add);
        return ReplayComparison.of(
                from, to, config.source(), recorded, replayed, Math.toIntExact(requestCount));
    }

    private <T extends SpecificRecordBase> LakeHistorySource<T> history(
            Class<T> type, String table, String timeColumn) {
        return LakeHistorySource.builder(type)
                .catalog(catalog)
                .table(table)
                .timeColumn(timeColumn)
                .from(from)
                .to(to)
                .build();
    }

    /**
     * The job's event time, as the ingest assigns it, over the history in event-time order (the end
     * of input flushes the rest). No idleness: a bounded input that pauses between files is not
     * idle, and marking it so would make its next records late.
     */
    private static <T> WatermarkStrategy<T> watermarks(
            EventTimeWatermarks.EventTimeExtractor<T> time) {
        return EventTimeWatermarks.strategy(
                time, Duration.ofSeconds(5), Duration.ZERO, Duration.ofDays(36_500));
    }
}
