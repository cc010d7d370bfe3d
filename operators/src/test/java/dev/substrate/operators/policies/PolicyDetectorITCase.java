package dev.substrate.operators.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.testkit.MiniClusters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every policy of the shipped catalogue through its CEP operator on a MiniCluster at parallelism 2,
 * in one job: for each, a positive case and its events shuffled within the watermark bound are
 * reported once each; a near miss one event short and one a second too late are not; a late event
 * is counted, not lost silently.
 */
class PolicyDetectorITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @Test
    void everyPolicyReportsItsIncidentsAndNotItsNearMisses() throws Exception {
        List<Policy> policies = PolicyFile.load(PolicyFile.DEFAULT);
        PolicyScenarios scenarios = new PolicyScenarios();
        for (Policy policy : policies) {
            scenarios.plant(policy, PolicyScenarios.T0);
        }
        List<PolicySignal> signals = new ArrayList<>();
        scenarios.arrivals().stream()
                .sorted(Comparator.comparingLong(PolicyScenarios.Arrival::arrivesAt))
                .forEach(a -> signals.add(a.signal()));
        // Arrives long after the watermark passed it: every policy that reads it counts it late.
        PolicySignal late = new PolicySignal();
        late.source = PolicySignal.Source.AUDIT;
        late.eventId = "late-1";
        late.timestamp = PolicyScenarios.T0.minus(Duration.ofHours(2)).toEpochMilli();
        late.principal = "late-principal";
        late.action = "LOGIN";
        late.outcome = "DENIED";
        signals.add(late);
        int readersOfLate = 0;
        for (Policy policy : policies) {
            if (PolicyPatterns.reads(policy).filter(late)) {
                readersOfLate++;
            }
        }

        StreamExecutionEnvironment env = environment();
        // One subtask per operator: the late signal then reaches its CEP operator behind the
        // watermark of the same channel, every time. With two, the CEP operator's watermark is the
        // slower of two channels, and whether late-1 is already late depends on the race.
        env.setParallelism(1);
        DataStream<PolicySignal> input =
                env.fromData(signals, TypeInformation.of(PolicySignal.class))
                        .assignTimestampsAndWatermarks(everyEvent(PolicyScenarios.BOUND));
        List<ModelApproval> approvals = new ArrayList<>();
        long before = PolicyScenarios.T0.minus(Duration.ofHours(3)).toEpochMilli();
        Set<String> used = new LinkedHashSet<>();
        for (PolicySignal s : signals) {
            if (s.model != null && !"9.9".equals(s.modelVersion)) {
                used.add(ModelApproval.key(s.model, s.modelVersion));
            }
        }
        for (String key : used) {
            String[] parts = key.split(":");
            approvals.add(new ModelApproval(parts[0], parts[1], true, before));
        }
        DataStream<ModelApproval> registry =
                env.fromData(approvals, TypeInformation.of(ModelApproval.class))
                        .assignTimestampsAndWatermarks(ModelApprovalFunction.registryWatermarks());

        PolicyDetector.Detection detection =
                PolicyDetector.builder().policies(policies).registry(registry).build().addTo(input);
        DataStream<String> out =
                detection
                        .violations()
                        .map(
                                v ->
                                        "V "
                                                + v.getPolicyId()
                                                + "/"
                                                + v.getKey()
                                                + " r"
                                                + v.getRevision()
                                                + " "
                                                + v.getEvidence().size()
                                                + " "
                                                + v.getNarrative())
                        .union(detection.late().map(s -> "L " + s.eventId));

        List<String> rows = new ArrayList<>();
        try (CloseableIterator<String> it = out.executeAndCollect("policies")) {
            it.forEachRemaining(rows::add);
        }

        List<String> reported = new ArrayList<>();
        for (String row : rows) {
            if (row.startsWith("V ")) {
                String[] parts = row.split(" ", 5);
                assertThat(parts[2]).as(row).isEqualTo("r1");
                assertThat(parts[4]).as("narrative").contains("Policy " + parts[1].split("/")[0]);
                reported.add(parts[1]);
            }
        }
        assertThat(reported)
                .as("exactly the planted incidents, each once")
                .containsExactlyInAnyOrderElementsOf(scenarios.expected());
        assertThat(rows.stream().filter(r -> r.equals("L late-1")).count())
                .isEqualTo(readersOfLate)
                .isPositive();
    }

    static StreamExecutionEnvironment environment() {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        return env;
    }

    /** Event time from the signal; a watermark after every event (the bound behind the newest). */
    static WatermarkStrategy<PolicySignal> everyEvent(Duration bound) {
        return WatermarkStrategy.<PolicySignal>forGenerator(
                        ctx ->
                                new WatermarkGenerator<>() {
                                    private long max = Long.MIN_VALUE + bound.toMillis() + 1;

                                    @Override
                                    public void onEvent(
                                            PolicySignal event,
                                            long timestamp,
                                            WatermarkOutput out) {
                                        max = Math.max(max, timestamp);
                                        out.emitWatermark(
                                                new Watermark(max - bound.toMillis() - 1));
                                    }

                                    @Override
                                    public void onPeriodicEmit(WatermarkOutput out) {}
                                })
                .withTimestampAssigner((s, previous) -> s.timestamp);
    }
}
