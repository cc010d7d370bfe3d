package dev.substrate.operators.quality;

import static dev.substrate.operators.quality.QualityFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.testing.CapturedMetrics;
import dev.substrate.operators.testing.GovernanceFixtures;
import dev.substrate.schemas.wire.ReplayHeader;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gate in a Flink operator harness: what goes on, what is refused, what is counted. */
class QualityGateTest {

    private static final String TOPIC = "substrate.gpu-samples";

    /**
     * Rules with one of each action: utilization (DLQ), memory (DLQ, CRITICAL), hot (TAG), low
     * power (NONE), future (DLQ, against processing time).
     */
    private static final String RULES =
            """
            event_type: GpuSample
            clock_skew: 2m
            rules:
              - name: utilization_is_percentage
                doc: Utilization is a percentage.
                expression: utilization_pct >= 0.0 && utilization_pct <= 100.0
                severity: ERROR
                action: DLQ
              - name: memory_used_within_total
                doc: No more memory used than there is.
                expression: memory_used_mib <= memory_total_mib
                severity: CRITICAL
                action: DLQ
              - name: hot
                doc: Hot readings are tagged.
                expression: temperature_c < 90.0
                severity: WARNING
                action: TAG
              - name: mig_enabled
                doc: MIG readings are tagged.
                expression: mig_profile == null
                severity: INFO
                action: TAG
              - name: busy
                doc: Idle readings are only counted.
                expression: utilization_pct > 0.0
                severity: INFO
                action: NONE
              - name: not_in_future
                doc: Not in the future beyond the skew.
                expression: timestamp <= now + clock_skew
                severity: ERROR
                action: DLQ
            """;

    private CapturedMetrics metrics;
    private OneInputStreamOperatorTestHarness<Sourced<GpuSample>, Sourced<GpuSample>> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void goodRecordsGoOnUntaggedAndEveryRulePasses() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));

        process(QualityFixtures.h100(0), 1_000L);

        assertThat(passed()).containsExactly(QualityFixtures.h100(0));
        assertThat(passed().get(0).getQualityTags()).isEmpty();
        assertThat(deadLetters()).isEmpty();
        // One verdict per record, with the record's timestamp: no rule failed.
        assertThat(harness.getSideOutput(QualityGate.VERDICTS))
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.getValue()).isZero();
                            assertThat(v.getTimestamp()).isEqualTo(1_000L);
                        });
    }

    @Test
    void dlqRuleSendsTheRecordToDeadLettersAsReplayableAsItCame() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample bad =
                GpuSample.newBuilder(QualityFixtures.h100(7)).setUtilizationPct(130.5).build();
        Sourced<GpuSample> read =
                GovernanceFixtures.sourced(
                        bad, 812L, List.of(GovernanceFixtures.header("trace", "t-812")));

        harness.processElement(read, 2_000L);

        assertThat(passed()).isEmpty();
        assertThat(deadLetters()).hasSize(1);
        DeadLetter dead = deadLetters().get(0);
        assertThat(dead.getReason()).isEqualTo(DeadLetterReason.QUALITY_RULE_FAILED);
        assertThat(dead.getRule()).isEqualTo("utilization_is_percentage");
        assertThat(dead.getSourceTopic()).isEqualTo(TOPIC);
        // Where it came from, as the decoder's dead letters say it: the Kafka record, not the
        // event (the stream timestamp, 2,000, is the event time).
        assertThat(dead.getSourcePartition()).isEqualTo(0);
        assertThat(dead.getSourceOffset()).isEqualTo(812L);
        assertThat(dead.getSourceTimestamp().toEpochMilli()).isEqualTo(1_812L);
        assertThat(dead.getSchemaId()).isEqualTo(GovernanceFixtures.SCHEMA_ID);
        assertThat(dead.getOriginalKey()).isEqualTo(ByteBuffer.wrap(read.key()));
        assertThat(dead.getOriginalValue())
                .as("the whole frame, wire-format header included")
                .isEqualTo(ByteBuffer.wrap(GovernanceFixtures.frame(bad)));
        assertThat(dead.getOriginalHeaders()).isEqualTo(read.headers());
        assertThat(dead.getDeadLetteredAt()).isEqualTo(NOW);
        assertThat(dead.getMessage())
                .contains("GpuSample event_id=evt-h100-7", "from " + TOPIC)
                .contains("rule utilization_is_percentage (ERROR, gpu.rules.yaml)")
                .contains("utilization_pct >= 0.0 && utilization_pct <= 100.0")
                .contains("with utilization_pct=130.5");
        assertThat(failedRules()).containsExactly("utilization_is_percentage");
    }

    @Test
    void recordFailingSeveralDlqRulesIsOneDeadLetterNamingThemAll() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample bad =
                GpuSample.newBuilder(QualityFixtures.h100(1))
                        .setUtilizationPct(-4.0)
                        .setMemoryUsedMib(90_000)
                        .setTemperatureC(95.0)
                        .build();

        process(bad, 3_000L);

        assertThat(passed()).isEmpty();
        assertThat(deadLetters())
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.getRule())
                                    .isEqualTo(
                                            "utilization_is_percentage,memory_used_within_total");
                            assertThat(d.getMessage())
                                    .contains(
                                            "with utilization_pct=-4.0",
                                            "; rule memory_used_within_total (CRITICAL",
                                            "with memory_used_mib=90000, memory_total_mib=81559");
                        });
        assertThat(failedRules())
                .containsExactly(
                        "utilization_is_percentage", "memory_used_within_total", "hot", "busy");
        // The TAG rule failed too, but the record was not kept, so nothing was tagged.
        assertThat(metric("hot", "failed")).isEqualTo(1);
        assertThat(metric("hot", "tagged")).isZero();
        assertThat(metric("memory_used_within_total", "dead_lettered")).isEqualTo(1);
    }

    @Test
    void tagRulesKeepTheRecordWithTheirNamesInQualityTags() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample hotMig =
                GpuSample.newBuilder(QualityFixtures.migInstance()).setTemperatureC(93.0).build();

        process(hotMig, 4_000L);

        assertThat(deadLetters()).isEmpty();
        assertThat(passed())
                .singleElement()
                .satisfies(
                        kept -> {
                            assertThat(kept.getQualityTags()).containsExactly("hot", "mig_enabled");
                            assertThat(kept.getTemperatureC()).isEqualTo(93.0);
                        });
        assertThat(failedRules()).containsExactly("hot", "mig_enabled");
        assertThat(metric("hot", "tagged")).isEqualTo(1);
        assertThat(metric("mig_enabled", "tagged")).isEqualTo(1);
    }

    @Test
    void tagsAProducerWroteAreReplacedByTheGates() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample claimsTags =
                GpuSample.newBuilder(QualityFixtures.h100(2))
                        .setQualityTags(List.of("verified_by_producer"))
                        .build();

        process(claimsTags, 5_000L);

        assertThat(passed().get(0).getQualityTags()).isEmpty();
    }

    @Test
    void noneRulesOnlyCount() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample idle =
                GpuSample.newBuilder(QualityFixtures.h100(3)).setUtilizationPct(0.0).build();

        process(idle, 6_000L);

        assertThat(passed()).containsExactly(idle);
        assertThat(passed().get(0).getQualityTags()).isEmpty();
        assertThat(deadLetters()).isEmpty();
        assertThat(failedRules()).containsExactly("busy");
        assertThat(metric("busy", "failed")).isEqualTo(1);
    }

    @Test
    void nowIsTheOperatorsProcessingTime() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample ahead =
                GpuSample.newBuilder(QualityFixtures.h100(4))
                        .setTimestamp(NOW.plusSeconds(180))
                        .build();

        process(ahead, 7_000L);
        assertThat(deadLetters()).extracting(DeadLetter::getRule).containsExactly("not_in_future");

        // Three minutes later the same reading is within the two-minute skew.
        harness.setProcessingTime(NOW.plusSeconds(180).toEpochMilli());
        process(ahead, 7_001L);
        assertThat(passed()).containsExactly(ahead);
    }

    @Test
    void aReplayRefusedAgainSaysWhatItReplays() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample bad =
                GpuSample.newBuilder(QualityFixtures.h100(8)).setUtilizationPct(101.0).build();

        harness.processElement(GovernanceFixtures.replayOf(bad, TOPIC, 12L), 1L);

        DeadLetter dead = deadLetters().get(0);
        assertThat(dead.getSourceOffset()).as("the replay's own record").isEqualTo(112L);
        assertThat(dead.getMessage()).contains("(a replay of " + TOPIC + "/0/12)");
        assertThat(dead.getOriginalHeaders())
                .extracting(h -> h.getKey())
                .containsExactly(ReplayHeader.NAME);
    }

    @Test
    void refusesMoreRulesThanAVerdictHasBits() {
        StringBuilder yaml = new StringBuilder("event_type: GpuSample\nrules:\n");
        for (int i = 0; i <= QualityGate.MAX_RULES; i++) {
            yaml.append("  - name: r")
                    .append(i)
                    .append(
                            "\n    doc: d.\n    expression: utilization_pct >= 0.0\n"
                                    + "    severity: INFO\n    action: NONE\n");
        }
        RuleSet many = RuleSet.parse(yaml.toString(), "many.rules.yaml");

        assertThatThrownBy(() -> new QualityGate<>(GpuSample.class, many, TOPIC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has 65 rules; a gate applies at most 64");
    }

    @Test
    void countsEveryRuleAndOutcomeAsFlinkMetrics() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));

        process(QualityFixtures.h100(0), 1L);
        process(GpuSample.newBuilder(QualityFixtures.h100(1)).setUtilizationPct(0.0).build(), 2L);
        process(GpuSample.newBuilder(QualityFixtures.h100(2)).setTemperatureC(91.0).build(), 3L);
        process(GpuSample.newBuilder(QualityFixtures.h100(3)).setUtilizationPct(101.0).build(), 4L);

        assertThat(metric("utilization_is_percentage", "passed")).isEqualTo(3);
        assertThat(metric("utilization_is_percentage", "failed")).isEqualTo(1);
        assertThat(metric("utilization_is_percentage", "dead_lettered")).isEqualTo(1);
        assertThat(metric("hot", "passed")).isEqualTo(3);
        assertThat(metric("hot", "failed")).isEqualTo(1);
        assertThat(metric("hot", "tagged")).isEqualTo(1);
        assertThat(metric("busy", "failed")).isEqualTo(1);
        assertThat(metric("busy", "passed")).isEqualTo(3);
        assertThat(metric("not_in_future", "passed")).isEqualTo(4);
        assertThat(metrics.keys()).doesNotContain("quality.busy.tagged");
        assertThat(values(harness.getSideOutput(QualityGate.VERDICTS)))
                .containsExactly(0L, 1L << 4, 1L << 2, 1L);
    }

    @Test
    void piiValuesStayOutOfTheDeadLettersMessage() throws Exception {
        QualityGate<AuditEvent> gate =
                new QualityGate<>(
                        AuditEvent.class,
                        RuleSet.parse(
                                """
                                event_type: AuditEvent
                                rules:
                                  - name: principal_present
                                    doc: Who acted.
                                    expression: size(principal) > 0 && source_address != ''
                                    severity: CRITICAL
                                    action: DLQ
                                """,
                                "audit.rules.yaml"),
                        "substrate.audit-events");
        try (OneInputStreamOperatorTestHarness<Sourced<AuditEvent>, Sourced<AuditEvent>> audit =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(gate))) {
            audit.setProcessingTime(NOW.toEpochMilli());
            audit.open();
            AuditEvent anonymous =
                    AuditEvent.newBuilder(QualityFixtures.modelInvoke()).setPrincipal("").build();

            audit.processElement(GovernanceFixtures.sourced(anonymous), 1L);

            DeadLetter dead = audit.getSideOutput(QualityGate.DEAD_LETTERS).poll().getValue();
            assertThat(dead.getMessage())
                    .contains("principal=<pii>, source_address=<pii>")
                    .doesNotContain("10.12.3.45");
        }
    }

    @Test
    void refusesRulesOfAnotherRecordType() {
        assertThatThrownBy(
                        () ->
                                new QualityGate<>(
                                        WorkloadRequest.class,
                                        rules(),
                                        "substrate.workload-requests"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dev.substrate.events.WorkloadRequest");
    }

    @Test
    void outputAndSideOutputTypesNeedNoKryo() {
        QualityGate<GpuSample> gate = new QualityGate<>(GpuSample.class, rules(), TOPIC);

        assertThat(gate.getProducedType()).isInstanceOf(SourcedTypeInfo.class);
        assertThat(QualityGate.DEAD_LETTERS.getTypeInfo()).isInstanceOf(AvroTypeInfo.class);
        assertThat(QualityGate.VERDICTS.getTypeInfo()).isEqualTo(Types.LONG);
        assertThat(TypeInformation.of(QualityCounts.class)).isInstanceOf(PojoTypeInfo.class);
    }

    private static RuleSet rules() {
        return RuleSet.parse(RULES, "gpu.rules.yaml");
    }

    private void open(QualityGate<GpuSample> gate) throws Exception {
        metrics = new CapturedMetrics("quality", "gate");
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(gate), metrics.environment());
        harness.setProcessingTime(NOW.toEpochMilli());
        harness.open();
    }

    /** The records the gate let through, without their provenance. */
    private List<GpuSample> passed() {
        return harness.extractOutputValues().stream().map(Sourced::record).toList();
    }

    private long metric(String rule, String name) {
        Counter counter = metrics.counter("quality." + rule + "." + name);
        assertThat(counter)
                .as("metric quality.%s.%s in %s", rule, name, metrics.keys())
                .isNotNull();
        return counter.getCount();
    }

    private List<DeadLetter> deadLetters() {
        return values(harness.getSideOutput(QualityGate.DEAD_LETTERS));
    }

    /** The names of the rules the only verdict says failed, in rule order. */
    private List<String> failedRules() {
        List<Long> verdicts = values(harness.getSideOutput(QualityGate.VERDICTS));
        assertThat(verdicts).hasSize(1);
        List<String> names = new ArrayList<>();
        List<Rule> rules = rules().rules();
        for (int i = 0; i < rules.size(); i++) {
            if ((verdicts.get(0) & (1L << i)) != 0) {
                names.add(rules.get(i).name());
            }
        }
        return names;
    }

    private static <X> List<X> values(Iterable<StreamRecord<X>> records) {
        List<X> out = new ArrayList<>();
        if (records != null) {
            records.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private void process(GpuSample record, long timestamp) throws Exception {
        harness.processElement(GovernanceFixtures.sourced(record), timestamp);
    }
}
