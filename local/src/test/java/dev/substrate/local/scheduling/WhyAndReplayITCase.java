package dev.substrate.local.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.local.cli.SubstrateCli;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.testkit.GpuSamples;
import dev.substrate.testkit.MiniClusters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code substrate why} and {@code substrate replay} on a real lake: the scheduling stage runs on a
 * MiniCluster over one 8-GPU node, and the requests, readings and decisions land in Iceberg tables
 * as in a job run. {@code why}, run as the CLI runs it, answers an assigned, a queued, a rejected
 * and a preempted request with the reason its latest decision recorded; {@code replay} reproduces
 * the recorded decisions exactly under the same quota file, and differs under another policy.
 */
class WhyAndReplayITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");
    private static final String H100 = "H100-80GB";

    @TempDir static Path dataDir;

    private static Catalog catalog;

    /** Tenant a and b may use the node; tenant r has 1 GPU and is refused beyond it. */
    private static final String QUOTAS =
            """
            policy:
              preemption: LOWER_PRIORITY
            tenants:
              a:
                nominal: {H100-80GB: 8}
              b:
                nominal: {H100-80GB: 8}
              r:
                nominal: {H100-80GB: 1}
                over_quota: REJECT
            """;

    @BeforeAll
    static void scheduleIntoTheLake() throws Exception {
        Path quotaFile = Files.writeString(dataDir.resolve("quotas.yaml"), QUOTAS);
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(1);
        LakeCatalogConfig lake = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));

        List<GpuSample> samples = new ArrayList<>();
        for (int s = 0; s <= 60; s += 10) {
            for (int g = 0; g < 8; g++) {
                samples.add(GpuSamples.idle("us-east-1", "e1", "e1-n1", g, T0.plusSeconds(s)));
            }
        }
        List<WorkloadRequest> requests =
                List.of(
                        request("assigned-1", "a", 4, 1, 12),
                        request("assigned-2", "a", 4, 1, 13),
                        request("queued", "b", 4, 1, 14),
                        request("rejected", "r", 2, 5, 15),
                        request("urgent", "b", 4, 9, 20));
        DataStream<GpuSample> sampleStream =
                env.fromData(samples, new AvroTypeInfo<>(GpuSample.class))
                        .assignTimestampsAndWatermarks(
                                eventTime(s -> s.getTimestamp().toEpochMilli()));
        DataStream<WorkloadRequest> requestStream =
                env.fromData(requests, new AvroTypeInfo<>(WorkloadRequest.class))
                        .assignTimestampsAndWatermarks(
                                eventTime(r -> r.getTimestamp().toEpochMilli()));
        // The node's health as fleet health reports it: UP from the first readings on (the
        // fleet-health stage itself would mark it DOWN after the last reading, at the end of
        // input).
        NodeHealth up =
                NodeHealth.newBuilder()
                        .setRegion("us-east-1")
                        .setCluster("e1")
                        .setNode("e1-n1")
                        .setStatus(NodeStatus.UP)
                        .setPreviousStatus(null)
                        .setScore(100)
                        .setReasons(List.of())
                        .setSince(T0)
                        .setChangedAt(T0)
                        .setLastSampleAt(T0)
                        .build();
        DataStream<NodeHealth> health =
                env.fromData(List.of(up), new AvroTypeInfo<>(NodeHealth.class))
                        .assignTimestampsAndWatermarks(
                                eventTime(h -> h.getChangedAt().toEpochMilli()));
        IcebergLakeSink.append(
                health,
                lake,
                new LakeTableSpec(
                        FleetHealthStage.NODE_HEALTH_TABLE,
                        NodeHealth.getClassSchema(),
                        "changed_at",
                        "cluster"));
        DataStream<ClusterCapacity> noCapacity =
                sampleStream
                        .flatMap((GpuSample s, Collector<ClusterCapacity> out) -> {})
                        .returns(new AvroTypeInfo<>(ClusterCapacity.class));
        IcebergLakeSink.append(
                requestStream,
                lake,
                new LakeTableSpec(
                        EventType.WORKLOAD_REQUEST.tableName(),
                        WorkloadRequest.getClassSchema(),
                        "timestamp",
                        "tenant"));
        IcebergLakeSink.append(
                sampleStream,
                lake,
                new LakeTableSpec(
                        EventType.GPU_SAMPLE.tableName(),
                        GpuSample.getClassSchema(),
                        "timestamp",
                        "cluster"));
        new SchedulingStage(
                        new SchedulingStage.Settings(
                                SchedulerConfig.load(quotaFile.toString()), lake, null))
                .addTo(requestStream, health, noCapacity, sampleStream);
        env.execute("why-and-replay-itcase");
        catalog = lake.catalogLoader().loadCatalog();
    }

    @Test
    void anAssignedRequestRunsWhereTheDecisionPutIt() {
        // Of tenant a's two requests, one was preempted by the urgent one; the other still runs.
        List<String> running =
                List.of("assigned-1", "assigned-2").stream()
                        .filter(id -> latestAction(id).equals("ASSIGN"))
                        .toList();
        assertThat(running).hasSize(1);
        String id = running.get(0);
        String out = why(id, 0);
        assertThat(out).contains("It runs on us-east-1/e1/e1-n1 GPUs");
        assertThat(out).contains(latestReason(id));
        assertThat(latestReason(id)).startsWith("placed on e1/e1-n1 GPUs");
    }

    @Test
    void aQueuedRequestSaysWhatItWaitsFor() {
        assertThat(latestAction("queued")).isEqualTo("QUEUE");
        String out = why("queued", 0);
        assertThat(out).contains("It is pending since").contains(latestReason("queued"));
        assertThat(latestReason("queued")).contains("no node has room");
    }

    @Test
    void aRejectedRequestSaysItsQuota() {
        assertThat(latestAction("rejected")).isEqualTo("REJECT");
        String out = why("rejected", 0);
        assertThat(out)
                .contains("It was rejected and will not be placed")
                .contains(latestReason("rejected"));
        assertThat(latestReason("rejected")).contains("tenant r may hold at most 1");
    }

    @Test
    void aPreemptedRequestSaysWhoTookItsGpus() {
        // The urgent request of priority 9 evicts one of the priority-1 requests of tenant a.
        List<String> preempted =
                List.of("assigned-1", "assigned-2").stream()
                        .filter(id -> actions(id).contains("PREEMPT"))
                        .toList();
        assertThat(preempted).hasSize(1);
        String victim = preempted.get(0);
        Record preemption =
                decisions(victim).stream()
                        .filter(r -> "PREEMPT".equals(r.getField("action")))
                        .findFirst()
                        .orElseThrow();
        assertThat((String) preemption.getField("reason")).contains("urgent");
        String out = why(victim, 0);
        assertThat(out).contains((String) preemption.getField("reason"));
        assertThat(out).contains(latestReason(victim));
        assertThat(latestAction("urgent")).isEqualTo("ASSIGN");
    }

    @Test
    void anUnknownRequestIsNamedWithTheFix() {
        assertThat(why("no-such-request", 1))
                .contains("No decision about no-such-request in scheduling_decisions");
    }

    @Test
    void replayUnderTheSameQuotaFileTakesExactlyTheRecordedDecisions() {
        int recorded = LakeReader.readAll(catalog, SchedulingStage.DECISIONS_TABLE).size();
        String out =
                cli(
                        0,
                        "replay",
                        "--from",
                        T0.toString(),
                        "--to",
                        T0.plusSeconds(3600).toString(),
                        "--scheduler-config",
                        dataDir.resolve("quotas.yaml").toString(),
                        "--data-dir",
                        dataDir.toString(),
                        "--expect-same");
        assertThat(recorded).isGreaterThanOrEqualTo(6);
        assertThat(out)
                .contains("Replayed 5 request events")
                .contains(
                        String.format(
                                "The replay took exactly the %,d recorded decisions", recorded));
    }

    @Test
    void replayUnderAPolicyWithoutPreemptionShowsWhatWouldHaveChanged() throws Exception {
        Path never =
                Files.writeString(
                        dataDir.resolve("never.yaml"), QUOTAS.replace("LOWER_PRIORITY", "NEVER"));
        String out =
                cli(
                        3,
                        "replay",
                        "--from",
                        T0.toString(),
                        "--to",
                        T0.plusSeconds(3600).toString(),
                        "--scheduler-config",
                        never.toString(),
                        "--data-dir",
                        dataDir.toString(),
                        "--expect-same");
        // Recorded one preemption; replayed none, and the urgent request waits instead.
        assertThat(out).containsPattern("preempted\\s+1\\s+0");
        assertThat(out).contains("differ (the first").contains("urgent#1: recorded ASSIGN");
    }

    private static String why(String requestId, int exitCode) {
        return cli(exitCode, "why", requestId, "--data-dir", dataDir.toString());
    }

    private static String cli(int exitCode, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SubstrateCli());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        assertThat(code).as(out + "\n" + err).isEqualTo(exitCode);
        return out.toString();
    }

    private static List<Record> decisions(String requestId) {
        return LakeReader.readAll(catalog, SchedulingStage.DECISIONS_TABLE).stream()
                .filter(r -> requestId.equals(r.getField("request_id")))
                .sorted(Comparator.comparing(r -> (Integer) r.getField("sequence")))
                .toList();
    }

    private static List<String> actions(String requestId) {
        return decisions(requestId).stream().map(r -> (String) r.getField("action")).toList();
    }

    private static String latestAction(String requestId) {
        List<String> actions = actions(requestId);
        assertThat(actions).as(requestId).isNotEmpty();
        return actions.get(actions.size() - 1);
    }

    private static String latestReason(String requestId) {
        List<Record> d = decisions(requestId);
        assertThat(d).as(requestId).isNotEmpty();
        return (String) d.get(d.size() - 1).getField("reason");
    }

    private static <T> WatermarkStrategy<T> eventTime(
            EventTimeWatermarks.EventTimeExtractor<T> time) {
        return EventTimeWatermarks.strategy(
                time, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofDays(36_500));
    }

    private static WorkloadRequest request(
            String id, String tenant, int gpus, int priority, int atSecond) {
        return WorkloadRequest.newBuilder()
                .setEventId(id + ":submit")
                .setTimestamp(T0.plusSeconds(atSecond))
                .setRequestId(id)
                .setLifecycle(RequestLifecycle.SUBMITTED)
                .setTenant(tenant)
                .setModelName("llama-3.1-8b")
                .setModelVersion("3.1.0")
                .setKind(WorkloadKind.TRAINING)
                .setGpus(gpus)
                .setMemoryPerGpuMib(20_480)
                .setAcceleratorType(H100)
                .setPriority(priority)
                .setPreferredRegion(null)
                .setDeadline(null)
                .build();
    }
}
