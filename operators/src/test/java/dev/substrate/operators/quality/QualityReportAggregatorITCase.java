package dev.substrate.operators.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.events.QualityReport;
import dev.substrate.operators.testing.GovernanceFixtures;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import dev.substrate.testkit.MiniClusters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Gate and report on a MiniCluster at parallelism 2: known records in three one-minute windows give
 * exactly the counts the rules say, per window, source and rule.
 */
class QualityReportAggregatorITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    private static final String TOPIC = "substrate.gpu-samples";

    private static final String RULES =
            """
            event_type: GpuSample
            rules:
              - name: utilization_is_percentage
                doc: Utilization is a percentage.
                expression: utilization_pct >= 0.0 && utilization_pct <= 100.0
                severity: ERROR
                action: DLQ
              - name: hot
                doc: Hot readings are tagged.
                expression: temperature_c < 90.0
                severity: WARNING
                action: TAG
              - name: busy
                doc: Idle readings are only counted.
                expression: utilization_pct > 0.0
                severity: INFO
                action: NONE
              - name: not_in_future
                doc: Not in the future.
                expression: timestamp <= now + clock_skew
                severity: ERROR
                action: DLQ
            """;

    @Test
    void reportsExactCountsPerWindowAndRule() throws Exception {
        List<GpuSample> samples = new ArrayList<>();
        // Window 10:00: 5 good, 2 over 100 % (DLQ), 1 hot (TAG).
        add(samples, 0, 5, 50.0, 60.0);
        add(samples, 0, 2, 130.0, 60.0);
        add(samples, 0, 1, 50.0, 95.0);
        // Window 10:01: 3 good, 1 idle (NONE), 1 hot and over 100 % (DLQ wins over TAG).
        add(samples, 1, 3, 70.0, 60.0);
        add(samples, 1, 1, 0.0, 60.0);
        add(samples, 1, 1, 140.0, 97.0);
        // Window 10:02: 4 good.
        add(samples, 2, 4, 80.0, 60.0);

        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);

        DataStream<Sourced<GpuSample>> input =
                env.fromData(samples, new AvroTypeInfo<>(GpuSample.class))
                        .assignTimestampsAndWatermarks(
                                WatermarkStrategy.<GpuSample>forMonotonousTimestamps()
                                        .withTimestampAssigner(
                                                (s, previous) -> s.getTimestamp().toEpochMilli()))
                        .map(GovernanceFixtures::sourced)
                        .returns(new SourcedTypeInfo<>(new AvroTypeInfo<>(GpuSample.class)))
                        .rebalance();
        QualityGate<GpuSample> gate =
                new QualityGate<>(GpuSample.class, RuleSet.parse(RULES, "it.rules.yaml"), TOPIC);
        SingleOutputStreamOperator<Sourced<GpuSample>> kept =
                input.process(gate).uid("quality-gate").name("Quality gate");
        DataStream<QualityReport> report =
                QualityReportAggregator.report(
                        QualityReportAggregator.countLocally(
                                kept.getSideOutput(QualityGate.VERDICTS),
                                gate,
                                Duration.ofMinutes(1),
                                "quality-counts"),
                        Duration.ofMinutes(1),
                        Duration.ZERO);

        List<QualityReport> rows = new ArrayList<>();
        try (CloseableIterator<QualityReport> it = report.executeAndCollect("quality report")) {
            it.forEachRemaining(rows::add);
        }

        // window minute -> rule -> [passed, failed, tagged, dead_lettered]
        Map<String, long[]> counts = new TreeMap<>();
        for (QualityReport r : rows) {
            assertThat(r.getSource()).isEqualTo(TOPIC);
            assertThat(Duration.between(r.getWindowStart(), r.getWindowEnd()))
                    .isEqualTo(Duration.ofMinutes(1));
            assertThat(r.getEvaluated()).isEqualTo(r.getPassed() + r.getFailed());
            assertThat(r.getRevision()).as("in order: no late updates").isZero();
            long minute = Duration.between(T0, r.getWindowStart()).toMinutes();
            long[] previous =
                    counts.put(
                            minute + "/" + r.getRule(),
                            new long[] {
                                r.getPassed(), r.getFailed(), r.getTagged(), r.getDeadLettered()
                            });
            assertThat(previous).as("one row per window and rule").isNull();
        }
        assertThat(counts)
                .containsOnlyKeys(
                        "0/busy",
                        "0/hot",
                        "0/not_in_future",
                        "0/utilization_is_percentage",
                        "1/busy",
                        "1/hot",
                        "1/not_in_future",
                        "1/utilization_is_percentage",
                        "2/busy",
                        "2/hot",
                        "2/not_in_future",
                        "2/utilization_is_percentage");
        assertThat(counts.get("0/utilization_is_percentage")).containsExactly(6, 2, 0, 2);
        assertThat(counts.get("0/hot")).containsExactly(7, 1, 1, 0);
        assertThat(counts.get("0/busy")).containsExactly(8, 0, 0, 0);
        assertThat(counts.get("0/not_in_future")).containsExactly(8, 0, 0, 0);
        assertThat(counts.get("1/utilization_is_percentage")).containsExactly(4, 1, 0, 1);
        assertThat(counts.get("1/hot")).containsExactly(4, 1, 0, 0);
        assertThat(counts.get("1/busy")).containsExactly(4, 1, 0, 0);
        assertThat(counts.get("1/not_in_future")).containsExactly(5, 0, 0, 0);
        assertThat(counts.get("2/utilization_is_percentage")).containsExactly(4, 0, 0, 0);
        assertThat(counts.get("2/hot")).containsExactly(4, 0, 0, 0);
        assertThat(rows.stream().filter(r -> r.getRule().equals("hot")))
                .allSatisfy(
                        r -> {
                            assertThat(r.getSeverity()).isEqualTo("WARNING");
                            assertThat(r.getAction()).isEqualTo("TAG");
                        });
    }

    private static void add(
            List<GpuSample> samples, int minute, int count, double utilization, double temp) {
        for (int i = 0; i < count; i++) {
            int n = samples.size();
            samples.add(
                    GpuSample.newBuilder(QualityFixtures.h100(n))
                            .setEventId("evt-it-" + n)
                            // Ascending within and across windows, so no outcome is late.
                            .setTimestamp(T0.plusSeconds(60L * minute + n))
                            .setUtilizationPct(utilization)
                            .setTemperatureC(temp)
                            .build());
        }
    }
}
