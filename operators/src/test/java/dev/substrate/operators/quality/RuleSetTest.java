package dev.substrate.operators.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.operators.config.ConfigFileException;
import java.time.Duration;
import org.apache.flink.util.InstantiationUtil;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Reading rule files: what a good one gives, and that every kind of defect names file and line. */
class RuleSetTest {

    private static final String FILE = "broken.rules.yaml";

    @Test
    void readsRulesInFileOrderWithTheirAttributes() {
        RuleSet rules =
                RuleSet.parse(
                        """
                        event_type: GpuSample
                        clock_skew: 90s
                        rules:
                          - name: utilization_is_percentage
                            doc: Utilization is a percentage.
                            expression: utilization_pct >= 0.0 && utilization_pct <= 100.0
                            severity: error
                            action: dlq
                          - name: hot
                            doc: Hot readings are tagged.
                            expression: |
                              temperature_c < 90.0
                            severity: WARNING
                            action: TAG
                        """,
                        "inline.rules.yaml");

        assertThat(rules.eventTypeName()).isEqualTo("GpuSample");
        assertThat(rules.sourceName()).isEqualTo("inline.rules.yaml");
        assertThat(rules.clockSkew()).isEqualTo(Duration.ofSeconds(90));
        assertThat(rules.rules())
                .containsExactly(
                        new Rule(
                                "utilization_is_percentage",
                                "Utilization is a percentage.",
                                "utilization_pct >= 0.0 && utilization_pct <= 100.0",
                                Severity.ERROR,
                                Action.DLQ),
                        new Rule(
                                "hot",
                                "Hot readings are tagged.",
                                "temperature_c < 90.0",
                                Severity.WARNING,
                                Action.TAG));
        assertThat(rules.withClockSkew(Duration.ofMinutes(1)).clockSkew())
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void clockSkewDefaultsToFiveMinutesAndAcceptsIsoDurations() {
        assertThat(parse("event_type: GpuSample\nrules: []\n").clockSkew())
                .isEqualTo(RuleSet.DEFAULT_CLOCK_SKEW)
                .isEqualTo(Duration.ofMinutes(5));
        assertThat(parse("event_type: GpuSample\nclock_skew: PT2M\nrules: []\n").clockSkew())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void survivesJavaSerializationAsOperatorsShipIt() throws Exception {
        RuleSet rules = RuleSet.load("WorkloadRequest");

        RuleSet copy = InstantiationUtil.clone(rules);

        assertThat(copy.rules()).isEqualTo(rules.rules());
        assertThat(copy.schema()).isEqualTo(rules.schema());
        assertThat(copy.clockSkew()).isEqualTo(rules.clockSkew());
        assertThat(copy.newEvaluator().rules()).hasSameSizeAs(rules.rules());
    }

    // --- one test per kind of defect: each names the file, the line and the reason ---

    @Test
    void invalidYaml() {
        assertDefect(
                () ->
                        parse(
                                """
                                event_type: GpuSample
                                rules:
                                  - name: a
                                    doc: "unclosed
                                    expression: true
                                """),
                4,
                "not valid YAML");
    }

    @Test
    void expressionNamingAFieldTheRecordDoesNotHave() {
        assertDefect(
                () -> parse(rule(4, "temprature_c < 90.0", "ERROR", "DLQ")),
                10,
                "rule 'r4': the expression does not compile: undeclared reference to"
                        + " 'temprature_c'",
                "GpuSample has no field 'temprature_c'; its fields are event_id, timestamp");
    }

    @Test
    void hasOnAFieldTheRecordDoesNotHave() {
        assertDefect(
                () -> parse(rule(1, "has(record.power_limit)", "ERROR", "DLQ")),
                10,
                "undefined field 'power_limit'",
                "GpuSample has no field 'power_limit'");
    }

    @Test
    void expressionThatDoesNotParse() {
        assertDefect(
                () -> parse(rule(1, "utilization_pct >= 0.0 &&", "ERROR", "DLQ")),
                10,
                "rule 'r1': the expression does not compile");
    }

    @Test
    void expressionWithMismatchedTypes() {
        assertDefect(
                () -> parse(rule(1, "gpu_uuid > 3", "ERROR", "DLQ")),
                10,
                "found no matching overload for '_>_' applied to '(string, int)'");
    }

    @Test
    void expressionThatIsNotBoolean() {
        assertDefect(
                () -> parse(rule(1, "utilization_pct * 2.0", "ERROR", "DLQ")),
                10,
                "rule 'r1': the expression is of type double, not bool");
    }

    @Test
    void errorInsideAMultiLineExpressionPointsAtItsLine() {
        assertDefect(
                () ->
                        parse(
                                """
                                event_type: GpuSample
                                rules:
                                  - name: r1
                                    doc: Doc.
                                    expression: |
                                      utilization_pct >= 0.0 &&
                                      utilization_pct <= 100.0 &&
                                      no_such_field > 1
                                    severity: ERROR
                                    action: DLQ
                                """),
                8,
                "undeclared reference to 'no_such_field'");
    }

    @Test
    void unknownSeverity() {
        assertDefect(
                () -> parse(rule(2, "true", "FATAL", "DLQ")),
                11,
                "rule 'r2': unknown severity 'FATAL'; expected one of [INFO, WARNING, ERROR,"
                        + " CRITICAL]");
    }

    @Test
    void unknownAction() {
        assertDefect(
                () -> parse(rule(2, "true", "ERROR", "DROP")),
                12,
                "rule 'r2': unknown action 'DROP'; expected one of [DLQ, TAG, NONE]");
    }

    @Test
    void duplicateRuleName() {
        assertDefect(
                () ->
                        parse(
                                """
                                event_type: GpuSample
                                rules:
                                  - name: same
                                    doc: First.
                                    expression: true
                                    severity: INFO
                                    action: NONE
                                  - name: same
                                    doc: Second.
                                    expression: false
                                    severity: INFO
                                    action: NONE
                                """),
                8,
                "duplicate rule name 'same' (first defined on line 3)");
    }

    @Test
    void missingKeyInARule() {
        assertDefect(
                () ->
                        parse(
                                """
                                event_type: GpuSample
                                rules:
                                  - name: no_severity
                                    doc: Forgot the severity.
                                    expression: true
                                    action: NONE
                                """),
                3,
                "rule 'no_severity' has no 'severity'");
    }

    @Test
    void misspelledKeyInARule() {
        assertDefect(
                () ->
                        parse(
                                """
                                event_type: GpuSample
                                rules:
                                  - name: typo
                                    doc: Typo below.
                                    expresion: true
                                    severity: INFO
                                    action: NONE
                                """),
                5,
                "unknown key 'expresion' in a rule; a rule has name, doc, expression, severity,"
                        + " action");
    }

    @Test
    void keyGivenTwice() {
        assertDefect(
                () ->
                        parse(
                                """
                                event_type: GpuSample
                                rules:
                                  - name: twice
                                    doc: Two expressions.
                                    expression: true
                                    expression: false
                                    severity: INFO
                                    action: NONE
                                """),
                6,
                "'expression' is given twice (first on line 5)");
    }

    @Test
    void ruleNameThatCannotNameAMetric() {
        assertDefect(
                () ->
                        parse(
                                """
                                event_type: GpuSample
                                rules:
                                  - name: Utilization In Range
                                    doc: Spaces.
                                    expression: true
                                    severity: INFO
                                    action: NONE
                                """),
                3,
                "rule name 'Utilization In Range' must be lower snake case");
    }

    @Test
    void unknownTopLevelKey() {
        assertDefect(
                () -> parse("event_type: GpuSample\nskew: 5m\nrules: []\n"),
                2,
                "unknown key 'skew'; a rule file has event_type, clock_skew, rules");
    }

    @Test
    void unknownEventType() {
        assertDefect(
                () -> parse("event_type: GpuReading\nrules: []\n"),
                1,
                "unknown event_type 'GpuReading'; known: GpuSample, WorkloadRequest");
    }

    @Test
    void badClockSkew() {
        assertDefect(
                () -> parse("event_type: GpuSample\nclock_skew: 5 minutes\nrules: []\n"),
                2,
                "clock_skew '5 minutes' is not a duration such as 500ms, 30s, 5m, 1h or PT5M");
    }

    @Test
    void rulesThatAreNotAList() {
        assertDefect(
                () -> parse("event_type: GpuSample\nrules:\n  name: x\n"),
                3,
                "'rules' must be a list of rules");
    }

    @Test
    void emptyFile() {
        assertDefect(() -> parse(""), 1, "the file is empty");
    }

    @Test
    void missingRuleFileNamesTheResource() {
        assertThatThrownBy(() -> RuleSet.load("NoSuchEvent"))
                .isInstanceOfSatisfying(
                        ConfigFileException.class,
                        e -> {
                            assertThat(e.file()).isEqualTo("rules/NoSuchEvent.rules.yaml");
                            assertThat(e.reason())
                                    .contains("no rule file for event type 'NoSuchEvent'");
                        });
    }

    @Test
    void ruleFileForAnotherEventType() {
        assertThatThrownBy(() -> RuleSet.load("Mismatched"))
                .isInstanceOfSatisfying(
                        ConfigFileException.class,
                        e -> {
                            assertThat(e.file()).isEqualTo("rules/Mismatched.rules.yaml");
                            assertThat(e.line()).isEqualTo(2);
                            assertThat(e.reason())
                                    .isEqualTo(
                                            "event_type is 'GpuSample' but the file is for"
                                                    + " 'Mismatched'");
                        });
    }

    private static RuleSet parse(String yaml) {
        return RuleSet.parse(yaml, FILE);
    }

    /** A file whose rule r{@code n} is on lines 8-12: expression on 10, severity 11, action 12. */
    private static String rule(int n, String expression, String severity, String action) {
        return "event_type: GpuSample\n"
                + "rules:\n"
                + "  - name: ok\n"
                + "    doc: A good rule first.\n"
                + "    expression: true\n"
                + "    severity: INFO\n"
                + "    action: NONE\n"
                + "  - name: r"
                + n
                + "\n"
                + "    doc: The rule under test.\n"
                + "    expression: "
                + expression
                + "\n"
                + "    severity: "
                + severity
                + "\n"
                + "    action: "
                + action
                + "\n";
    }

    private static void assertDefect(ThrowingCallable parse, int line, String... reasonParts) {
        assertThatThrownBy(parse)
                .isInstanceOfSatisfying(
                        ConfigFileException.class,
                        e -> {
                            assertThat(e.file()).isEqualTo(FILE);
                            assertThat(e.line()).as("line of: %s", e.getMessage()).isEqualTo(line);
                            assertThat(e.reason()).contains(reasonParts);
                            assertThat(e.getMessage()).startsWith(FILE + ":" + line + ": ");
                        });
    }
}
