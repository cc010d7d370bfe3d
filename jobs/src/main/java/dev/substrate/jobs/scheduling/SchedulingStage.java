package dev.substrate.jobs.scheduling;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.scheduling.FleetSignal;
import dev.substrate.operators.scheduling.SchedulerFunction;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.schemas.RecordIds;
import dev.substrate.sinks.kafka.KafkaOutputSink;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The scheduling stage: every workload request becomes decisions — ASSIGN, QUEUE, REJECT, REROUTE,
 * PREEMPT, RESCHEDULE, RELEASE — taken in keyed state from the requests, node health, cluster
 * capacity and GPU readings, each with its reason in words and the state it read, written to the
 * {@code scheduling_decisions} table and a Kafka topic.
 *
 * <pre>
 *  WorkloadRequest (governed) ───────────────────────keyBy(domain)─┐
 *  GpuSample ─► reading ─┐                                          ├─► SchedulerFunction ─┬─► scheduling_decisions
 *  NodeHealth ─► health ─┼─ union ─► FleetSignal ───keyBy(domain)─┘    (one serial order   └─► substrate.scheduling-decisions
 *  ClusterCapacity ─► ───┘                                               per domain)
 * </pre>
 *
 * <p><b>Keyed layout, and why it cannot double-book.</b> All scheduling state of a domain (the job
 * has one, the fleet) lives under one key: node books (map state keyed by cluster/node: readings,
 * health, which request holds each GPU), request books (keyed by request id), tenant books (keyed
 * by tenant: GPUs in use per accelerator type, decayed usage, token buckets) and cluster reports
 * (keyed by cluster). Quota and placement are thus keyed by tenant and by node <i>inside</i> one
 * keyed context, and a placement changes the node's GPUs, the request and the tenant's usage in the
 * same step, on one task thread, before the next input is looked at: a reservation is reflected in
 * its tenant's usage at once, two requests can never see the same free GPU, and a quota can never
 * be over-admitted by two placements racing. Separate operators keyed by tenant and by cluster
 * would need a feedback edge between them (a reservation proposed by one, confirmed by the other),
 * and under concurrency they could over-admit or double-book until the feedback arrived.
 * Cross-region reroute, preemption across tenants and a fair-share queue across tenants all read
 * the whole fleet, which the one key gives them. Kubernetes' scheduler and Kueue decide serially
 * for the same reason; the bench measures what one serial scheduler sustains.
 *
 * <p><b>Determinism.</b> Inputs wait in state until the watermark passes their event time and are
 * then decided instant by instant in a fixed order; timers are in event time; nothing reads the
 * wall clock, a hash order or randomness. A restore from a checkpoint and {@code substrate replay}
 * over the lake make exactly the decisions of the original run (see {@link SchedulerFunction}). The
 * price is latency: a decision waits for the watermark, that is for the job's {@code
 * event-time.out-of-orderness}.
 *
 * <p>Event time is the job's: the ingest assigns it once; this stage assigns no watermarks.
 * Operator uids (stable, for savepoints): {@code scheduling-readings}, {@code scheduling-health},
 * {@code scheduling-capacity}, {@code scheduler}, {@code lake-scheduling_decisions}, {@code
 * kafka-scheduling_decisions}.
 *
 * <pre>{@code
 * SchedulingStage.Output scheduling =
 *         new SchedulingStage(SchedulingStage.Settings.from(config, context))
 *                 .addTo(requests, fleet.nodeHealth(), fleet.capacity(), samples);
 * }</pre>
 */
public final class SchedulingStage {

    public static final String DECISIONS_TABLE = "scheduling_decisions";

    /** The decisions table: partitioned by day of decision and action. */
    public static final LakeTableSpec DECISIONS =
            new LakeTableSpec(
                    DECISIONS_TABLE, SchedulingDecision.getClassSchema(), "decided_at", "action");

    private final Settings settings;

    public SchedulingStage(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Adds the stage behind its inputs, which carry the job's event time. */
    public Output addTo(
            DataStream<WorkloadRequest> requests,
            DataStream<NodeHealth> health,
            DataStream<ClusterCapacity> capacity,
            DataStream<GpuSample> samples) {
        DataStream<FleetSignal> signals = signals(samples, health, capacity);
        DataStream<SchedulingDecision> decisions =
                // Two lambdas, not one method reference twice: a deserialized method reference
                // can come back with the other call site's cast (FleetSignal to WorkloadRequest).
                requests.keyBy((WorkloadRequest r) -> SchedulerFunction.domainOf(r), Types.STRING)
                        .connect(
                                signals.keyBy(
                                        (FleetSignal s) -> SchedulerFunction.domainOf(s),
                                        Types.STRING))
                        .process(new SchedulerFunction(settings.scheduler()))
                        .returns(new AvroTypeInfo<>(SchedulingDecision.class))
                        // One domain, decided in one serial order: a second subtask would idle.
                        .setParallelism(1)
                        .uid("scheduler")
                        .name("scheduler");
        if (settings.catalog() != null) {
            IcebergLakeSink.append(
                    decisions, settings.catalog(), DECISIONS, IcebergLakeSink.LOW_VOLUME_WRITERS);
        }
        if (settings.decisionsOutput() != null) {
            settings.decisionsOutput().writeFrom(decisions, "kafka-" + DECISIONS_TABLE);
        }
        return new Output(decisions);
    }

    /**
     * The fleet as the scheduler reads it on its second input: GPU readings, node-health changes
     * and capacity reports, each reduced to a {@link FleetSignal}, as one stream (whose watermark
     * is the least of the three).
     */
    public static DataStream<FleetSignal> signals(
            DataStream<GpuSample> samples,
            DataStream<NodeHealth> health,
            DataStream<ClusterCapacity> capacity) {
        TypeInformation<FleetSignal> signalType = TypeInformation.of(FleetSignal.class);
        return samples.map(FleetSignal::of)
                .returns(signalType)
                .uid("scheduling-readings")
                .name("scheduling: GPU readings")
                .union(
                        health.map(FleetSignal::of)
                                .returns(signalType)
                                .uid("scheduling-health")
                                .name("scheduling: node health"),
                        capacity.map(FleetSignal::of)
                                .returns(signalType)
                                .uid("scheduling-capacity")
                                .name("scheduling: cluster capacity"));
    }

    /**
     * What the stage decides by and where it writes.
     *
     * @param scheduler the policy and quotas (the quota file)
     * @param catalog the lake catalog for the decisions table; null writes no table (tests)
     * @param decisionsOutput the decisions topic, or null (tests)
     */
    public record Settings(
            SchedulerConfig scheduler,
            @Nullable LakeCatalogConfig catalog,
            @Nullable KafkaOutputSink<SchedulingDecision> decisionsOutput) {

        public Settings {
            Objects.requireNonNull(scheduler, "scheduler");
        }

        /** The settings of {@code config} ({@link SchedulingOptions}) in {@code context}. */
        public static Settings from(ReadableConfig config, StageContext context) {
            return new Settings(
                    SchedulingOptions.schedulerConfig(config),
                    context.lake(),
                    context.<SchedulingDecision>kafkaOutput(
                                    SchedulingDecision.getClassSchema(),
                                    config.get(SchedulingOptions.DECISIONS_TOPIC))
                            .key(SchedulingDecision::getRequestId)
                            .recordId(RecordIds::of)
                            .build());
        }

        /** The same decisions, written to neither table nor topic (tests). */
        public Settings withoutSinks() {
            return new Settings(scheduler, null, null);
        }

        /** The Kafka topics the stage writes. */
        public List<String> topics() {
            return decisionsOutput == null ? List.of() : List.of(decisionsOutput.topic());
        }
    }

    /** The decisions, for stages that follow. */
    public record Output(DataStream<SchedulingDecision> decisions) {}
}
