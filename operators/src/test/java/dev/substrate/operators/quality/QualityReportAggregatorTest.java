package dev.substrate.operators.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.GpuSample;
import dev.substrate.events.QualityReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The quality report's two phases, driven record by record: verdicts summed per window in the
 * gate's subtask (late ones too), and the keyed window reporting each late update as a delta.
 */
class QualityReportAggregatorTest {

    private static final String TOPIC = "substrate.gpu-samples";
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_714_557_600_000L; // 2024-05-01T10:00Z, a minute boundary

    /** Rule 0: DLQ, rule 1: TAG, rule 2: NONE. */
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
            """;

    private static final long DLQ = 1L;
    private static final long TAG = 1L << 1;
    private static final long NONE = 1L << 2;

    private static QualityGate<GpuSample> gate() {
        return new QualityGate<>(GpuSample.class, RuleSet.parse(RULES, "t.rules.yaml"), TOPIC);
    }

    @Test
    void countsPerRuleWhatHappenedToTheRecord() {
        QualityReportAggregator.VerdictCounter counter =
                new QualityReportAggregator.VerdictCounter(TOPIC, gate().ruleSet().rules());
        QualityCounts counts = counter.createAccumulator();
        counter.add(0L, counts); // all passed
        counter.add(TAG, counts); // kept, tagged
        counter.add(TAG | NONE, counts); // kept, tagged, counted
        counter.add(DLQ | TAG, counts); // refused: the TAG rule failed but tagged nothing

        assertThat(counts.evaluated).isEqualTo(4);
        assertThat(counts.rules).containsExactly("utilization_is_percentage", "hot", "busy");
        assertThat(counts.actions).containsExactly("DLQ", "TAG", "NONE");
        assertThat(counts.failed).containsExactly(1, 3, 1);
        assertThat(counts.tagged).containsExactly(0, 2, 0);
        assertThat(counts.deadLettered).containsExactly(1, 0, 0);

        List<QualityReport> rows = new ArrayList<>();
        counts.toRows(T0, T0 + MINUTE, 0, rows::add);
        assertThat(rows)
                .extracting(
                        QualityReport::getRule,
                        QualityReport::getEvaluated,
                        QualityReport::getPassed,
                        QualityReport::getFailed,
                        QualityReport::getTagged,
                        QualityReport::getDeadLettered)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "utilization_is_percentage", 4L, 3L, 1L, 0L, 1L),
                        org.assertj.core.groups.Tuple.tuple("hot", 4L, 1L, 3L, 2L, 0L),
                        org.assertj.core.groups.Tuple.tuple("busy", 4L, 3L, 1L, 0L, 0L));
        assertThat(rows.get(1).getSeverity()).isEqualTo("WARNING");
        assertThat(rows.get(1).getAction()).isEqualTo("TAG");
    }

    @Test
    void mergesCountsOfOneSourceAndRefusesToMixSources() {
        QualityCounts a = QualityCounts.of(TOPIC, gate().ruleSet().rules());
        a.count(DLQ, DLQ, TAG);
        QualityCounts b = QualityCounts.of(TOPIC, gate().ruleSet().rules());
        b.count(TAG, DLQ, TAG);

        QualityCounts merged = new QualityCounts().merge(a).merge(b);
        assertThat(merged.evaluated).isEqualTo(2);
        assertThat(merged.failed).containsExactly(1, 1, 0);
        assertThat(a.evaluated).as("merging does not change the merged").isEqualTo(1);
        assertThat(merged.minus(a).failed).containsExactly(0, 1, 0);

        QualityCounts other = QualityCounts.of("substrate.audit-events", gate().ruleSet().rules());
        assertThatThrownBy(() -> merged.merge(other))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Cannot merge the counts of substrate.audit-events");
        assertThat(QualityReportAggregator.countsType()).isInstanceOf(PojoTypeInfo.class);
    }

    @Test
    void preAggregationSendsOnePartialPerWindowAndCountsLateVerdictsToo() throws Exception {
        try (OneInputStreamOperatorTestHarness<Long, QualityCounts> h = preAggregator()) {
            h.processElement(0L, T0 + 1_000);
            h.processElement(DLQ, T0 + 2_000);
            h.processElement(TAG, T0 + 30_000);
            h.processElement(0L, T0 + MINUTE + 1_000); // next window

            h.processWatermark(T0 + MINUTE - 2);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processWatermark(T0 + MINUTE - 1);
            assertThat(h.extractOutputValues())
                    .singleElement()
                    .satisfies(
                            p -> {
                                assertThat(p.source).isEqualTo(TOPIC);
                                assertThat(p.windowStart).isEqualTo(T0);
                                assertThat(p.windowEnd).isEqualTo(T0 + MINUTE);
                                assertThat(p.evaluated).isEqualTo(3);
                                assertThat(p.failed).containsExactly(1, 1, 0);
                            });

            // Behind the watermark, yet counted: a new partial of the closed window.
            h.processElement(NONE, T0 + 59_000);
            h.processWatermark(T0 + MINUTE + 500);
            assertThat(h.extractOutputValues()).hasSize(2);
            QualityCounts late = h.extractOutputValues().get(1);
            assertThat(late.windowStart).isEqualTo(T0);
            assertThat(late.evaluated).isEqualTo(1);
            assertThat(late.failed).containsExactly(0, 0, 1);
            assertThat(h.extractOutputStreamRecords())
                    .allSatisfy(r -> assertThat(r.getTimestamp()).isEqualTo(T0 + MINUTE - 1));

            // The open window goes before a checkpoint barrier: the operator has no state.
            h.prepareSnapshotPreBarrier(1);
            assertThat(h.extractOutputValues()).hasSize(3);
            assertThat(h.extractOutputValues().get(2).windowStart).isEqualTo(T0 + MINUTE);
        }
    }

    @Test
    void lateUpdatesAreReportedAsDeltasAndNothingIsDroppedAfterTheLateness() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, QualityCounts, QualityReport> h =
                reportWindow(Duration.ofMinutes(2))) {
            h.processElement(partial(T0, 10, DLQ, DLQ, TAG), T0 + MINUTE - 1);
            h.processElement(partial(T0, 5, TAG), T0 + MINUTE - 1);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processWatermark(T0 + MINUTE - 1);
            List<QualityReport> first = h.extractOutputValues();
            assertThat(first).hasSize(3).allSatisfy(r -> assertThat(r.getRevision()).isZero());
            assertThat(row(first, "utilization_is_percentage").getEvaluated()).isEqualTo(15);
            assertThat(row(first, "utilization_is_percentage").getDeadLettered()).isEqualTo(2);
            assertThat(row(first, "hot").getTagged()).isEqualTo(2);

            // Within the allowed lateness: a row per rule with only the new counts.
            h.processWatermark(T0 + 2 * MINUTE);
            h.processElement(partial(T0, 3, TAG), T0 + MINUTE - 1);
            List<QualityReport> second = rowsAfter(h, 3);
            assertThat(second).hasSize(3).allSatisfy(r -> assertThat(r.getRevision()).isOne());
            assertThat(row(second, "hot").getEvaluated()).isEqualTo(3);
            assertThat(row(second, "hot").getPassed()).isEqualTo(2);
            assertThat(row(second, "hot").getTagged()).isEqualTo(1);
            assertThat(row(second, "utilization_is_percentage").getDeadLettered()).isZero();

            h.processElement(partial(T0, 1), T0 + MINUTE - 1);
            assertThat(rowsAfter(h, 6)).allSatisfy(r -> assertThat(r.getRevision()).isEqualTo(2));

            // After the lateness the window and what it reported are gone...
            h.processWatermark(T0 + 3 * MINUTE);
            assertThat(h.numKeyedStateEntries()).isZero();
            // ...and a partial later still is not dropped: it comes out of the side output.
            h.processElement(partial(T0, 4, NONE), T0 + MINUTE - 1);
            assertThat(h.getSideOutput(QualityReportAggregator.LATE_PARTIALS))
                    .extracting(StreamRecord::getValue)
                    .singleElement()
                    .satisfies(p -> assertThat(p.evaluated).isEqualTo(4));
        }
    }

    @Test
    void refusesAnEmptyWindowAndNegativeLateness() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<QualityCounts> partials =
                env.fromData(QualityReportAggregator.countsType(), partial(T0, 1));
        assertThatThrownBy(
                        () ->
                                QualityReportAggregator.report(
                                        partials, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("report window must be positive");
        assertThatThrownBy(
                        () ->
                                QualityReportAggregator.report(
                                        partials, Duration.ofMinutes(1), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("allowed lateness must not be negative");
    }

    /** A partial of window [start, start + 1 min): {@code evaluated} records, the first failing. */
    private static QualityCounts partial(long start, int evaluated, long... failures) {
        QualityCounts counts = QualityCounts.of(TOPIC, gate().ruleSet().rules());
        for (int i = 0; i < evaluated; i++) {
            counts.count(i < failures.length ? failures[i] : 0L, DLQ, TAG);
        }
        counts.stamp(TOPIC, start, start + MINUTE);
        return counts;
    }

    private static QualityReport row(List<QualityReport> rows, String rule) {
        return rows.stream().filter(r -> r.getRule().equals(rule)).findFirst().orElseThrow();
    }

    private static List<QualityReport> rowsAfter(
            OneInputStreamOperatorTestHarness<?, QualityReport> h, int skip) {
        List<QualityReport> all = h.extractOutputValues();
        return all.subList(skip, all.size());
    }

    @SuppressWarnings("unchecked")
    private static OneInputStreamOperatorTestHarness<Long, QualityCounts> preAggregator()
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<Long> verdicts = env.fromData(Types.LONG, 0L);
        OneInputTransformation<Long, QualityCounts> t =
                (OneInputTransformation<Long, QualityCounts>)
                        QualityReportAggregator.countLocally(
                                        verdicts, gate(), Duration.ofMinutes(1), "counts")
                                .getTransformation();
        OneInputStreamOperator<Long, QualityCounts> operator =
                (OneInputStreamOperator<Long, QualityCounts>)
                        ((SimpleOperatorFactory<QualityCounts>) t.getOperatorFactory())
                                .getOperator();
        var h =
                new OneInputStreamOperatorTestHarness<>(
                        operator, Types.LONG.createSerializer(new SerializerConfigImpl()));
        h.setup(QualityReportAggregator.countsType().createSerializer(new SerializerConfigImpl()));
        h.open();
        return h;
    }

    @SuppressWarnings("unchecked")
    private static KeyedOneInputStreamOperatorTestHarness<String, QualityCounts, QualityReport>
            reportWindow(Duration allowedLateness) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        DataStream<QualityCounts> partials =
                env.fromData(QualityReportAggregator.countsType(), partial(T0, 1));
        OneInputTransformation<QualityCounts, QualityReport> t =
                (OneInputTransformation<QualityCounts, QualityReport>)
                        QualityReportAggregator.windows(
                                        partials, Duration.ofMinutes(1), allowedLateness, "report")
                                .getTransformation();
        OneInputStreamOperator<QualityCounts, QualityReport> operator =
                (OneInputStreamOperator<QualityCounts, QualityReport>)
                        ((SimpleOperatorFactory<QualityReport>) t.getOperatorFactory())
                                .getOperator();
        var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        operator, (QualityCounts c) -> c.source, Types.STRING);
        ((SerializerConfigImpl) h.getExecutionConfig().getSerializerConfig())
                .setGenericTypes(false);
        h.open();
        return h;
    }
}
