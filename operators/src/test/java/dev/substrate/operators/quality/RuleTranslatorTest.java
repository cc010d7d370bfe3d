package dev.substrate.operators.quality;

import static dev.substrate.operators.quality.QualityFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each construct the translator covers gives CEL's verdict and error, decided by the translated
 * code itself where it can be (compiled) or left to the interpreter (deferred).
 */
class RuleTranslatorTest {

    private static final Map<String, IndexedRecord> RECORDS =
            Map.ofEntries(
                    Map.entry("h100", QualityFixtures.h100(0)),
                    Map.entry("tpu", QualityFixtures.tpu()),
                    Map.entry("mig", QualityFixtures.migInstance()),
                    Map.entry(
                            "negativeZero",
                            GpuSample.newBuilder(QualityFixtures.h100(0))
                                    .setUtilizationPct(-0.0)
                                    .build()),
                    Map.entry(
                            "nan",
                            GpuSample.newBuilder(QualityFixtures.h100(0))
                                    .setUtilizationPct(Double.NaN)
                                    .build()),
                    Map.entry(
                            "newlinePstate",
                            GpuSample.newBuilder(QualityFixtures.h100(0))
                                    .setPstate("P1\n")
                                    .build()),
                    Map.entry(
                            "atSkew",
                            GpuSample.newBuilder(QualityFixtures.h100(0))
                                    .setTimestamp(NOW.plusMillis(300_000))
                                    .build()),
                    Map.entry(
                            "pastSkew",
                            GpuSample.newBuilder(QualityFixtures.h100(0))
                                    .setTimestamp(NOW.plusMillis(300_001))
                                    .build()),
                    Map.entry(
                            "tagged",
                            GpuSample.newBuilder(QualityFixtures.h100(0))
                                    .setQualityTags(List.of("x", "hot"))
                                    .setModel("GPU \uD83D\uDE00")
                                    .setEccCorrected(1)
                                    .build()));

    @ParameterizedTest(name = "{0} on {1} -> {2} ({3})")
    @CsvSource(
            delimiterString = " => ",
            quoteCharacter = '`',
            value = {
                // int and double mixed, as CEL compares them (the int as a double)
                "gpu_index < 0.5 => h100 => true => compiled",
                "utilization_pct <= 100 => h100 => true => compiled",
                "memory_used_mib > 78834.5 => h100 => true => compiled",
                "utilization_pct < 0 => negativeZero => true => compiled",
                "utilization_pct < 0.0 => negativeZero => false => compiled",
                "utilization_pct == 0.0 => negativeZero => true => compiled",
                "utilization_pct >= 0.0 => nan => false => deferred",
                "utilization_pct != 1.0 => nan => true => deferred",
                // null handling on nullable fields
                "power_limit_w == null => tpu => true => compiled",
                "power_limit_w != 700.0 => tpu => true => compiled",
                "pstate == 'P0' => tpu => false => compiled",
                "power_limit_w > 0.0 => tpu => error => deferred",
                "power_limit_w * 1.1 > 0.0 => tpu => error => deferred",
                "has(record.power_limit_w) => tpu => false => compiled",
                "has(record.power_limit_w) => h100 => true => compiled",
                // && and || absorb an error when the other side decides
                "power_limit_w > 0.0 || true => tpu => true => compiled",
                "true || power_limit_w > 0.0 => tpu => true => compiled",
                "power_limit_w > 0.0 && false => tpu => false => compiled",
                "false && power_limit_w > 0.0 => tpu => false => compiled",
                "power_limit_w > 0.0 && true => tpu => error => deferred",
                "!(power_limit_w > 0.0) => tpu => error => deferred",
                "power_limit_w > 0.0 ? true : true => tpu => error => deferred",
                // regex: RE2 finds, and its $ does not match before a final newline
                "pstate.matches(r'^P[0-9]$') => h100 => true => compiled",
                "pstate.matches(r'^P[0-9]$') => newlinePstate => false => compiled",
                "gpu_uuid.matches('bdf0c82b') => h100 => true => compiled",
                "matches(node, r'-n[0-9]{3}$') => h100 => true => compiled",
                "pstate.matches('^P') => tpu => error => deferred",
                // in a list of literals
                "gpu_index in [0, 1] => h100 => true => compiled",
                "pstate in ['P1', 'P2'] => mig => true => compiled",
                "pstate in ['P0'] => tpu => false => compiled",
                // timestamps and durations: now + clock_skew is inclusive to the nanosecond
                "timestamp <= now + clock_skew => atSkew => true => compiled",
                "timestamp <= now + clock_skew => pastSkew => false => compiled",
                "now - timestamp == duration('60s') => h100 => true => compiled",
                "timestamp - duration('1ms') < timestamp => h100 => true => compiled",
                "timestamp >= timestamp('2026-11-26T21:59:00Z') => h100 => true => compiled",
                "timestamp > timestamp('2026-11-26T21:59:00Z') => h100 => false => compiled",
                // arithmetic; an overflow is CEL's error
                "memory_total_mib - memory_used_mib == 2724 => h100 => true => compiled",
                "memory_used_mib * 2 / 3 % 1000 == 556 => h100 => true => compiled",
                "-gpu_index == 0 && -utilization_pct < 0.0 => h100 => true => compiled",
                "ecc_corrected + 9223372036854775807 > 0 => tagged => error => deferred",
                "ecc_corrected / 0 == 0 => h100 => error => deferred",
                // strings: size counts code points; the strings extension's trim
                "size(model) == 5 => tagged => true => compiled",
                "size(' \\u2003x\\t'.trim()) == 1 => h100 => true => compiled",
                "model.startsWith('NVIDIA') && model.endsWith('HBM3') && model.contains('H100') =>"
                        + " h100 => true => compiled",
                "model < 'O' && model >= 'NVIDIA' => h100 => true => compiled",
                // lists and comprehensions
                "size(quality_tags) == 2 => tagged => true => compiled",
                "quality_tags.exists(t, t == 'hot') => tagged => true => compiled",
                "quality_tags.all(t, size(t) < 3) => tagged => false => compiled",
                "quality_tags.all(t, t.startsWith('x')) => h100 => true => compiled",
                // conditional of numbers
                "power_draw_w <= (has(record.power_limit_w) ? power_limit_w * 1.1 : 1500.0) => tpu"
                        + " => true => compiled",
            })
    void constructsAgreeWithTheInterpreter(
            String expression, String record, String expected, String decidedBy) {
        Outcome outcome = both("GpuSample", expression, RECORDS.get(record));

        assertThat(outcome.verdict()).as(expression).isEqualTo(expected);
        assertThat(outcome.deferred() ? "deferred" : "compiled")
                .as(expression)
                .isEqualTo(decidedBy);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiterString = " => ",
            value = {
                "lifecycle != 'SUBMITTED' || deadline == null || deadline > timestamp => true",
                "kind != 'INFERENCE' || !has(record.deadline) => true",
                "deadline - timestamp > duration('5h') && priority in [7, 8] => true",
                "preferred_region == null => false",
            })
    void enumsAndNullableTimestampsOfWorkloadRequests(String expression, String expected) {
        assertThat(both("WorkloadRequest", expression, QualityFixtures.trainingRequest()).verdict())
                .isEqualTo(expected);
    }

    @Test
    void mapKeysAreIteratedAndTheIterationBudgetIsCels() {
        assertThat(
                        both(
                                        "EnterpriseEvent",
                                        "attributes.all(k, k.matches(r'^[a-z_]+$')) &&"
                                                + " size(attributes) == 4",
                                        QualityFixtures.crmEvent())
                                .verdict())
                .isEqualTo("true");

        java.util.Map<String, String> huge = new java.util.HashMap<>();
        for (int i = 0; i < 10_001; i++) {
            huge.put("k" + i, "v");
        }
        Outcome overBudget =
                both(
                        "EnterpriseEvent",
                        "attributes.all(k, size(k) > 0)",
                        dev.substrate.events.EnterpriseEvent.newBuilder(QualityFixtures.crmEvent())
                                .setAttributes(huge)
                                .build());
        assertThat(overBudget.verdict()).isEqualTo("error");
        assertThat(overBudget.deferred()).isTrue();
    }

    @Test
    void anUnsupportedConstructRunsInterpretedAndSaysWhy() {
        RuleSet rules =
                RuleSet.parse(
                        single("GpuSample", "model.lowerAscii() == 'nvidia h100 80gb hbm3'"),
                        "t.rules.yaml");
        RuleEvaluator evaluator = rules.newEvaluator();

        assertThat(evaluator.isCompiled(0)).isFalse();
        assertThat(evaluator.interpretedBecause(0)).contains("lowerAscii");
        assertThat(evaluator.evaluate(QualityFixtures.h100(0), NOW)).isZero();
        assertThat(evaluator.evaluate(QualityFixtures.tpu(), NOW)).isOne();

        RuleEvaluator index =
                RuleSet.parse(
                                single("EnterpriseEvent", "attributes['owner'] == 'Maria'"),
                                "t.rules.yaml")
                        .newEvaluator();
        assertThat(index.isCompiled(0)).isFalse();
        assertThat(index.evaluate(QualityFixtures.crmEvent(), NOW)).isZero();
    }

    @Test
    void epochMillisAndInstantNowAgree() {
        RuleEvaluator evaluator =
                RuleSet.parse(single("GpuSample", "timestamp <= now + clock_skew"), "t.rules.yaml")
                        .newEvaluator();
        IndexedRecord atSkew = RECORDS.get("atSkew");

        assertThat(evaluator.evaluate(atSkew, NOW.toEpochMilli())).isZero();
        assertThat(evaluator.evaluate(atSkew, NOW.toEpochMilli() - 1)).isOne();
        assertThat(evaluator.evaluate(atSkew, NOW.minusNanos(1))).isOne();
        assertThat(evaluator.deferredToInterpreter()).isZero();
    }

    private record Outcome(String verdict, boolean deferred) {}

    /** Evaluates translated and interpreted, asserts they agree, and returns the verdict. */
    private static Outcome both(String type, String expression, IndexedRecord record) {
        RuleSet rules = RuleSet.parse(single(type, expression), "t.rules.yaml");
        RuleEvaluator translated = rules.newEvaluator();
        RuleEvaluator interpreted = RuleEvaluator.interpretedOnly(rules);
        assertThat(translated.isCompiled(0))
                .as("translated: %s (%s)", expression, translated.interpretedBecause(0))
                .isTrue();

        translated.evaluate(record, NOW);
        interpreted.evaluate(record, NOW);

        assertThat(translated.passed(0)).as(expression).isEqualTo(interpreted.passed(0));
        assertThat(translated.error(0)).as(expression).isEqualTo(interpreted.error(0));
        String verdict =
                translated.error(0) != null ? "error" : Boolean.toString(translated.passed(0));
        return new Outcome(verdict, translated.deferredToInterpreter() > 0);
    }

    private static String single(String type, String expression) {
        return "event_type: "
                + type
                + "\nrules:\n  - name: rule\n    doc: Under test.\n    expression: |\n      "
                + expression
                + "\n    severity: ERROR\n    action: DLQ\n";
    }
}
