package dev.substrate.operators.quality;

import static dev.substrate.operators.quality.QualityFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.WorkloadRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every CEL operator and value kind the rules use, evaluated on real event records. */
class RuleEvaluatorTest {

    private static final GpuSample H100 = QualityFixtures.h100(0);
    private static final GpuSample TPU = QualityFixtures.tpu();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiterString = "=>",
            quoteCharacter = '`',
            value = {
                // comparison
                "utilization_pct == 100.0                                  => true",
                "utilization_pct < 100.0                                   => false",
                "memory_used_mib >= 78835 && memory_used_mib <= 78835       => true",
                "gpu_index != 0                                            => false",
                "model > 'A' && model <= 'Z'                               => true",
                // numbers of different kinds compare (heterogeneous comparisons)
                "power_draw_w <= 700                                       => true",
                "sm_clock_mhz > 1305.5                                     => false",
                // arithmetic inside a comparison
                "power_draw_w / power_limit_w > 0.99                       => true",
                "memory_total_mib - memory_used_mib == 2724                => true",
                // logical
                "utilization_pct > 50.0 && temperature_c < 80.0             => true",
                "utilization_pct > 100.0 || temperature_c > 80.0            => false",
                "!(utilization_pct > 100.0)                                => true",
                "utilization_pct > 100.0 ? false : true                     => true",
                // regex: matches() finds, ^ and $ anchor
                "gpu_uuid.matches(r'^GPU-[0-9a-f-]+$')                      => true",
                "gpu_uuid.matches('bdf0c82b')                               => true",
                "gpu_uuid.matches(r'^bdf0c82b')                             => false",
                "matches(node, r'-n[0-9]{3}$')                              => true",
                // size
                "size(event_id) == 10                                      => true",
                "size(quality_tags) == 0                                   => true",
                "event_id.size() > 0                                       => true",
                // in-list
                "pstate in ['P0', 'P1', 'P2']                              => true",
                "gpu_index in [1, 2, 3]                                    => false",
                "!(region in ['eu-west-1'])                                => true",
                // has() and null checks on a nullable field that is set
                "has(record.power_limit_w)                                 => true",
                "power_limit_w != null                                     => true",
                "mig_profile == null                                       => true",
                "has(record.mig_profile)                                   => false",
                // cross-field
                "memory_used_mib <= memory_total_mib                       => true",
                "power_draw_w <= power_limit_w                             => true",
                // timestamps and durations: now is 2026-11-26T22:00:00Z, the reading 60 s before
                "timestamp < now                                           => true",
                "timestamp <= now + clock_skew                             => true",
                "timestamp > now - duration('30s')                         => false",
                "now - timestamp == duration('60s')                        => true",
                "timestamp >= timestamp('2026-11-26T00:00:00Z')            => true",
                "timestamp.getHours() == 21                                => true",
                // string extensions
                "model.lowerAscii().startsWith('nvidia')                   => true",
                "model.contains('H100') && model.endsWith('HBM3')          => true",
                "size('  padded '.trim()) == 6                             => true",
                // comprehensions over lists
                "quality_tags.all(t, t.startsWith('x'))                    => true",
                "[utilization_pct, memory_utilization_pct].exists(u, u > 99.0) => true",
            })
    void operatorsOnAGpuSample(String expression, boolean expected) {
        assertThat(evaluate("GpuSample", expression, H100)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiterString = "=>",
            quoteCharacter = '`',
            value = {
                "power_limit_w == null                                     => true",
                "has(record.power_limit_w)                                 => false",
                "!has(record.memory_temperature_c)                         => true",
                "pstate == null || pstate.matches('^P')                    => true",
                "power_draw_w <= (power_limit_w == null ? 1500.0 : power_limit_w) => true",
                "power_limit_w == null || power_draw_w <= power_limit_w    => true",
                "gpu_uuid.matches(r'^TPU-')                                => true",
            })
    void nullableFieldsThatAreNotSet(String expression, boolean expected) {
        assertThat(evaluate("GpuSample", expression, TPU)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiterString = "=>",
            quoteCharacter = '`',
            value = {
                // enums are strings
                "lifecycle == 'SUBMITTED'                                  => true",
                "kind in ['TRAINING', 'FINE_TUNING']                       => true",
                "kind == 'INFERENCE'                                       => false",
                // a nullable timestamp, set
                "deadline != null && deadline > timestamp                  => true",
                "deadline - timestamp > duration('5h')                     => true",
                "has(record.deadline)                                      => true",
                "gpus >= 1 && gpus <= 1024 && priority in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] => true",
            })
    void enumsAndNullableTimestamps(String expression, boolean expected) {
        assertThat(evaluate("WorkloadRequest", expression, QualityFixtures.trainingRequest()))
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiterString = "=>",
            quoteCharacter = '`',
            value = {
                "'account_id' in attributes                                => true",
                "attributes['stage_to'] == 'negotiation'                   => true",
                "size(attributes) == 4                                     => true",
                "attributes.all(k, k.matches(r'^[a-z_]+$'))                => true",
                "attributes.exists(k, attributes[k] == 'Maria')            => true",
                "has(attributes.owner)                                     => true",
                "has(attributes.currency)                                  => false",
                "source_system in ['crm', 'erp', 'logs']                   => true",
                "size(text) <= 65536                                       => true",
            })
    void mapsAndStrings(String expression, boolean expected) {
        assertThat(evaluate("EnterpriseEvent", expression, QualityFixtures.crmEvent()))
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiterString = "=>",
            quoteCharacter = '`',
            value = {
                "encrypted_in_transit                                      => true",
                "!encrypted_in_transit || data_classification != 'PUBLIC' => true",
                "outcome == 'ALLOWED' && action == 'MODEL_INVOKE'          => true",
                "source_address.matches(r'^10\\.')                          => true",
            })
    void booleansAndEnumsOfAuditEvents(String expression, boolean expected) {
        assertThat(evaluate("AuditEvent", expression, QualityFixtures.modelInvoke()))
                .isEqualTo(expected);
    }

    @Test
    void clockSkewIsTheRuleFilesOrTheOverride() {
        GpuSample twoMinutesAhead =
                GpuSample.newBuilder(H100).setTimestamp(NOW.plusSeconds(120)).build();
        String file =
                "event_type: GpuSample\nclock_skew: 1m\nrules:\n"
                        + "  - {name: r, doc: d, expression: timestamp <= now + clock_skew,"
                        + " severity: ERROR, action: DLQ}\n";
        RuleSet oneMinute = RuleSet.parse(file, "skew.rules.yaml");

        assertThat(evaluate(oneMinute, twoMinutesAhead)).isFalse();
        assertThat(evaluate(oneMinute.withClockSkew(Duration.ofMinutes(3)), twoMinutesAhead))
                .isTrue();
    }

    @Test
    void aRuleThatCannotBeEvaluatedFailsAndSaysWhy() {
        RuleEvaluator evaluator =
                RuleSet.parse(single("GpuSample", "record.power_limit_w > 0.0"), "err.rules.yaml")
                        .newEvaluator();

        assertThat(evaluator.evaluate(TPU, NOW)).isEqualTo(1);
        assertThat(evaluator.passed(0)).isFalse();
        assertThat(evaluator.error(0)).contains("power_limit_w");

        assertThat(evaluator.evaluate(H100, NOW)).isZero();
        assertThat(evaluator.error(0)).isNull();
    }

    @Test
    void involvedValuesShowTheFieldsARuleReadsButNeverPii() {
        RuleEvaluator gpu =
                RuleSet.parse(
                                single(
                                        "GpuSample",
                                        "memory_used_mib <= memory_total_mib &&"
                                                + " has(record.power_limit_w) && model != ''"),
                                "v.rules.yaml")
                        .newEvaluator();
        gpu.evaluate(H100, NOW);
        assertThat(gpu.referencedFields(0))
                .containsExactly("memory_used_mib", "memory_total_mib", "power_limit_w", "model");
        assertThat(gpu.involvedValues(0))
                .isEqualTo(
                        "memory_used_mib=78835, memory_total_mib=81559, power_limit_w=700.0,"
                                + " model='NVIDIA H100 80GB HBM3'");

        RuleEvaluator audit =
                RuleSet.parse(
                                single(
                                        "AuditEvent",
                                        "size(principal) > 0 && source_address != '' &&"
                                                + " auth_method == 'oidc'"),
                                "pii.rules.yaml")
                        .newEvaluator();
        AuditEvent event = QualityFixtures.modelInvoke();
        audit.evaluate(event, NOW);
        assertThat(audit.involvedValues(0))
                .isEqualTo("principal=<pii>, source_address=<pii>, auth_method='oidc'")
                .doesNotContain(event.getPrincipal(), event.getSourceAddress());
    }

    @Test
    void genericRecordsWithBytesNestedRecordsAndPlainLongTimestamps() {
        Schema schema =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Probe", "namespace": "test",
                                 "fields": [
                                  {"name": "id", "type": "string"},
                                  {"name": "payload", "type": "bytes"},
                                  {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                                  {"name": "inner", "type": {"type": "record", "name": "Inner",
                                     "fields": [{"name": "a", "type": "int"}]}},
                                  {"name": "either", "type": ["string", "int"]},
                                  {"name": "level", "type": {"type": "enum", "name": "Level",
                                     "symbols": ["LOW", "HIGH"]}},
                                  {"name": "scores", "type": {"type": "array", "items": "float"}}
                                 ]}
                                """);
        GenericRecord inner = new GenericData.Record(schema.getField("inner").schema());
        inner.put("a", 7);
        GenericRecord probe = new GenericData.Record(schema);
        probe.put("id", new org.apache.avro.util.Utf8("p-1"));
        probe.put("payload", ByteBuffer.wrap("abc".getBytes(StandardCharsets.UTF_8)));
        probe.put("at", NOW.minusSeconds(1).toEpochMilli());
        probe.put("inner", inner);
        probe.put("either", 42);
        probe.put("level", new GenericData.EnumSymbol(schema.getField("level").schema(), "HIGH"));
        probe.put("scores", List.of(0.5f, 1.5f));

        for (String expression :
                List.of(
                        "id == 'p-1'",
                        "size(payload) == 3 && payload == b'abc'",
                        "at < now && at > now - duration('2s')",
                        "inner.a == 7",
                        "either == 42",
                        "level == 'HIGH'",
                        "scores[1] == 1.5 && size(scores) == 2")) {
            RuleSet rules = RuleSet.parse(single("Probe", expression), "probe.rules.yaml", schema);
            assertThat(evaluate(rules, probe)).as(expression).isTrue();
        }
    }

    @Test
    void oneEvaluatorServesManyRecordsWithoutLeakingValuesBetweenThem() {
        RuleEvaluator evaluator =
                RuleSet.parse(
                                single(
                                        "GpuSample",
                                        "power_limit_w == null || power_limit_w > 500.0"),
                                "reuse.rules.yaml")
                        .newEvaluator();
        GpuSample lowLimit = GpuSample.newBuilder(H100).setPowerLimitW(300.0).build();

        assertThat(evaluator.evaluate(H100, NOW)).isZero();
        assertThat(evaluator.evaluate(lowLimit, NOW)).isOne();
        assertThat(evaluator.evaluate(TPU, NOW)).isZero();
        assertThat(evaluator.evaluate(lowLimit, NOW)).isOne();
    }

    @Test
    void workloadAndEnterpriseRecordsEvaluateWithoutAnyFieldMap() {
        // Records are read through field positions; maps of a record are never built.
        WorkloadRequest request = QualityFixtures.inferenceRequest();
        EnterpriseEvent log = QualityFixtures.logEvent();

        assertThat(
                        evaluate(
                                "WorkloadRequest",
                                "deadline == null && preferred_region == null",
                                request))
                .isTrue();
        assertThat(
                        evaluate(
                                "EnterpriseEvent",
                                "attributes == {'level': 'WARN', 'trace_id': '4bf92f35'}",
                                log))
                .isTrue();
        assertThat(evaluate("EnterpriseEvent", "text.split(' ').size() > 3", log)).isTrue();
        assertThat(evaluate("EnterpriseEvent", "attributes == {}", log)).isFalse();
        assertThat(Map.of()).isEmpty();
    }

    private static boolean evaluate(String type, String expression, IndexedRecord record) {
        return evaluate(RuleSet.parse(single(type, expression), "test.rules.yaml"), record);
    }

    private static boolean evaluate(RuleSet rules, IndexedRecord record) {
        RuleEvaluator evaluator = rules.newEvaluator();
        int failures = evaluator.evaluate(record, NOW);
        assertThat(evaluator.error(0)).as("evaluation error").isNull();
        return failures == 0;
    }

    /** A rule file with one rule; the expression is a YAML block so any CEL text fits. */
    private static String single(String type, String expression) {
        return "event_type: "
                + type
                + "\nrules:\n  - name: rule\n    doc: Under test.\n    expression: |\n      "
                + expression
                + "\n    severity: ERROR\n    action: DLQ\n";
    }
}
