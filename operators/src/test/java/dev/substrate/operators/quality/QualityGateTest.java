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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
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
    private OneInputStreamOperatorTestHarness<GpuSample, GpuSample> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void goodRecordsGoOnUntaggedAndEveryRulePasses() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));

        harness.processElement(QualityFixtures.h100(0), 1_000L);

        assertThat(harness.extractOutputValues()).containsExactly(QualityFixtures.h100(0));
        assertThat(harness.extractOutputValues().get(0).getQualityTags()).isEmpty();
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
    void dlqRuleSendsTheRecordToDeadLettersWithRuleValuesAndTheRecord() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample bad =
                GpuSample.newBuilder(QualityFixtures.h100(7)).setUtilizationPct(130.5).build();

        harness.processElement(bad, 2_000L);

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(deadLetters()).hasSize(1);
        DeadLetter dead = deadLetters().get(0);
        assertThat(dead.getReason()).isEqualTo(DeadLetterReason.QUALITY_RULE_FAILED);
        assertThat(dead.getRule()).isEqualTo("utilization_is_percentage");
        assertThat(dead.getSourceTopic()).isEqualTo(TOPIC);
        assertThat(dead.getSourcePartition()).isEqualTo(-1);
        assertThat(dead.getSourceOffset()).isEqualTo(-1L);
        assertThat(dead.getSourceTimestamp().toEpochMilli()).isEqualTo(2_000L);
        assertThat(dead.getDeadLetteredAt()).isEqualTo(NOW);
        assertThat(dead.getMessage())
                .contains("GpuSample event_id=evt-h100-7", "from " + TOPIC)
                .contains("rule utilization_is_percentage (ERROR, gpu.rules.yaml)")
                .contains("utilization_pct >= 0.0 && utilization_pct <= 100.0")
                .contains("with utilization_pct=130.5");
        assertThat(decode(dead.getOriginalValue())).isEqualTo(bad);
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

        harness.processElement(bad, 3_000L);

        assertThat(harness.extractOutputValues()).isEmpty();
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

        harness.processElement(hotMig, 4_000L);

        assertThat(deadLetters()).isEmpty();
        assertThat(harness.extractOutputValues())
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

        harness.processElement(claimsTags, 5_000L);

        assertThat(harness.extractOutputValues().get(0).getQualityTags()).isEmpty();
    }

    @Test
    void noneRulesOnlyCount() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample idle =
                GpuSample.newBuilder(QualityFixtures.h100(3)).setUtilizationPct(0.0).build();

        harness.processElement(idle, 6_000L);

        assertThat(harness.extractOutputValues()).containsExactly(idle);
        assertThat(harness.extractOutputValues().get(0).getQualityTags()).isEmpty();
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

        harness.processElement(ahead, 7_000L);
        assertThat(deadLetters()).extracting(DeadLetter::getRule).containsExactly("not_in_future");

        // Three minutes later the same reading is within the two-minute skew.
        harness.setProcessingTime(NOW.plusSeconds(180).toEpochMilli());
        harness.processElement(ahead, 7_001L);
        assertThat(harness.extractOutputValues()).containsExactly(ahead);
    }

    @Test
    void deadLettersUseTheRecordsTimestampFieldWhenTheStreamHasNoTimestamps() throws Exception {
        open(new QualityGate<>(GpuSample.class, rules(), TOPIC));
        GpuSample bad =
                GpuSample.newBuilder(QualityFixtures.h100(0)).setUtilizationPct(101.0).build();

        harness.processElement(new StreamRecord<>(bad));

        assertThat(deadLetters())
                .extracting(DeadLetter::getSourceTimestamp)
                .containsExactly(bad.getTimestamp());
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

        harness.processElement(QualityFixtures.h100(0), 1L);
        harness.processElement(
                GpuSample.newBuilder(QualityFixtures.h100(1)).setUtilizationPct(0.0).build(), 2L);
        harness.processElement(
                GpuSample.newBuilder(QualityFixtures.h100(2)).setTemperatureC(91.0).build(), 3L);
        harness.processElement(
                GpuSample.newBuilder(QualityFixtures.h100(3)).setUtilizationPct(101.0).build(), 4L);

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
    void deadLetterValueMapperDecidesWhatTheDeadLetterKeeps() throws Exception {
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
                                "substrate.audit-events")
                        .withDeadLetterValueMapper(
                                a -> AuditEvent.newBuilder(a).setSourceAddress("tok_0123").build());
        try (OneInputStreamOperatorTestHarness<AuditEvent, AuditEvent> audit =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(gate))) {
            audit.setProcessingTime(NOW.toEpochMilli());
            audit.open();
            AuditEvent anonymous =
                    AuditEvent.newBuilder(QualityFixtures.modelInvoke()).setPrincipal("").build();

            audit.processElement(anonymous, 1L);

            DeadLetter dead = audit.getSideOutput(QualityGate.DEAD_LETTERS).poll().getValue();
            AuditEvent kept =
                    new SpecificDatumReader<>(AuditEvent.class)
                            .read(
                                    null,
                                    DecoderFactory.get()
                                            .binaryDecoder(bytes(dead.getOriginalValue()), null));
            assertThat(kept.getSourceAddress()).isEqualTo("tok_0123");
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

        assertThat(gate.getProducedType()).isInstanceOf(AvroTypeInfo.class);
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

    private static GpuSample decode(ByteBuffer value) throws Exception {
        return new SpecificDatumReader<>(GpuSample.class)
                .read(null, DecoderFactory.get().binaryDecoder(bytes(value), null));
    }

    private static byte[] bytes(ByteBuffer value) {
        byte[] b = new byte[value.remaining()];
        value.duplicate().get(b);
        return b;
    }
}
