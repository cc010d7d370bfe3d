package dev.substrate.local.scheduling;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.LakeReader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import javax.annotation.Nullable;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.iceberg.catalog.Catalog;

/**
 * {@code substrate replay}: runs the scheduling operator (the same {@link SchedulingStage} code the
 * job runs), bounded, over the lake's requests and fleet signals of an interval, under a quota file
 * that may differ from the one the job ran with, and compares its decisions with those the job
 * recorded then. Writes nothing: the replayed decisions are collected, never sunk.
 *
 * <p>The replay starts from empty scheduler state at {@code from}: it reproduces the recorded
 * decisions exactly, under the same quota file, when {@code from} is at or before the first request
 * the job saw (state carried over from earlier is not in the interval's input).
 */
public final class SchedulingReplay {

    private final Catalog catalog;
    private final Instant from;
    private final Instant to;
    private final SchedulerConfig config;

    /**
     * @param catalog the lake
     * @param from start of the interval (inclusive, event time)
     * @param to end of the interval (exclusive)
     * @param config the quota file to replay under
     */
    public SchedulingReplay(Catalog catalog, Instant from, Instant to, SchedulerConfig config) {
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
        List<WorkloadRequest> requests =
                read(
                        EventType.WORKLOAD_REQUEST.tableName(),
                        WorkloadRequest.class,
                        WorkloadRequest.getClassSchema(),
                        r -> r.getTimestamp());
        List<GpuSample> samples =
                read(
                        EventType.GPU_SAMPLE.tableName(),
                        GpuSample.class,
                        GpuSample.getClassSchema(),
                        s -> s.getTimestamp());
        List<NodeHealth> health =
                read(
                        FleetHealthStage.NODE_HEALTH_TABLE,
                        NodeHealth.class,
                        NodeHealth.getClassSchema(),
                        h -> h.getChangedAt());
        List<ClusterCapacity> capacity =
                read(
                        FleetHealthStage.CLUSTER_CAPACITY_TABLE,
                        ClusterCapacity.class,
                        ClusterCapacity.getClassSchema(),
                        c -> c.getTimestamp());
        List<SchedulingDecision> recorded =
                read(
                        SchedulingStage.DECISIONS_TABLE,
                        SchedulingDecision.class,
                        SchedulingDecision.getClassSchema(),
                        d -> d.getDecidedAt());

        if (requests.isEmpty()) {
            throw new IllegalArgumentException(
                    "the lake has no workload requests from "
                            + from
                            + " to "
                            + to
                            + ": choose an interval in which the job ran");
        }
        Configuration flink = new Configuration();
        flink.set(PipelineOptions.GENERIC_TYPES, false);
        flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        flink.set(RestOptions.ADDRESS, "127.0.0.1");
        flink.set(RestOptions.BIND_PORT, "0");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(1);
        DataStream<WorkloadRequest> requestStream =
                bounded(
                        env,
                        requests,
                        WorkloadRequest.class,
                        r -> r.getTimestamp().toEpochMilli(),
                        null);
        DataStream<SchedulingDecision> decisions =
                new SchedulingStage(new SchedulingStage.Settings(config, null, null))
                        .addTo(
                                requestStream,
                                bounded(
                                        env,
                                        health,
                                        NodeHealth.class,
                                        h -> h.getChangedAt().toEpochMilli(),
                                        requestStream),
                                bounded(
                                        env,
                                        capacity,
                                        ClusterCapacity.class,
                                        c -> c.getTimestamp().toEpochMilli(),
                                        requestStream),
                                bounded(
                                        env,
                                        samples,
                                        GpuSample.class,
                                        s -> s.getTimestamp().toEpochMilli(),
                                        requestStream))
                        .decisions();
        List<SchedulingDecision> replayed = new ArrayList<>();
        try (CloseableIterator<SchedulingDecision> it =
                decisions.executeAndCollect("substrate replay " + from + " .. " + to)) {
            while (it.hasNext()) {
                SchedulingDecision d = it.next();
                if (inInterval(d.getDecidedAt())) {
                    replayed.add(SchedulingDecision.newBuilder(d).build());
                }
            }
        }
        return ReplayComparison.of(from, to, config.source(), recorded, replayed, requests.size());
    }

    private <T extends SpecificRecord> List<T> read(
            String table, Class<T> type, Schema schema, Function<T, Instant> time) {
        List<T> rows = new ArrayList<>();
        LakeReader.forEachRow(
                catalog,
                table,
                List.of("*"),
                row -> {
                    T record = LakeRecords.toAvro(row, type, schema);
                    if (inInterval(time.apply(record))) {
                        rows.add(record);
                    }
                });
        rows.sort(Comparator.comparing(time));
        return rows;
    }

    private boolean inInterval(Instant t) {
        return !t.isBefore(from) && t.isBefore(to);
    }

    /**
     * The rows in the job's event time, as the ingest assigns it (the end of input flushes the
     * rest); no rows are an empty stream cut from {@code anchor}, as a source of nothing fails.
     */
    private static <T extends SpecificRecordBase> DataStream<T> bounded(
            StreamExecutionEnvironment env,
            List<T> rows,
            Class<T> type,
            EventTimeWatermarks.EventTimeExtractor<T> time,
            @Nullable DataStream<WorkloadRequest> anchor) {
        WatermarkStrategy<T> watermarks =
                EventTimeWatermarks.strategy(
                        time,
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(15),
                        Duration.ofDays(36_500));
        AvroTypeInfo<T> info = new AvroTypeInfo<>(type);
        if (rows.isEmpty() && anchor != null) {
            return anchor.flatMap((WorkloadRequest r, Collector<T> out) -> {}).returns(info);
        }
        return env.fromData(rows, info).assignTimestampsAndWatermarks(watermarks);
    }
}
