package dev.substrate.operators.quality;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * The compiled rules of one {@link RuleSet}, evaluated record by record. Compiling happens once, in
 * the constructor; an instance is not thread-safe, so each operator instance has its own.
 *
 * <pre>{@code
 * RuleEvaluator rules = RuleSet.load("GpuSample").newEvaluator();
 * if (rules.evaluate(sample, Instant.now()) > 0) { ... rules.passed(i) ... }
 * }</pre>
 */
public final class RuleEvaluator {

    private static final int MAX_RENDERED_CHARS = 64;

    private final RuleSet ruleSet;
    private final Schema schema;
    private final List<Rule> rules;
    private final CelRuntime.Program[] programs;
    private final List<List<String>> referencedFields;
    private final RecordActivation activation;
    private final boolean[] passed;
    private final String[] errors;

    RuleEvaluator(RuleSet ruleSet) {
        this.ruleSet = ruleSet;
        this.schema = ruleSet.schema();
        this.rules = ruleSet.rules();
        RuleCompiler compiler = ruleSet.compilerIfParsedHere();
        List<CelAbstractSyntaxTree> checked = ruleSet.checkedIfParsedHere();
        if (compiler == null || checked == null) {
            compiler = new RuleCompiler(schema);
            checked = null;
        }
        this.programs = new CelRuntime.Program[rules.size()];
        this.referencedFields = new ArrayList<>(rules.size());
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            try {
                CelAbstractSyntaxTree ast =
                        checked != null
                                ? checked.get(i)
                                : compiler.compile(rule.expression(), ruleSet.sourceName())
                                        .getAst();
                programs[i] = compiler.cel().createProgram(ast);
                referencedFields.add(List.copyOf(compiler.referencedFields(ast)));
            } catch (CelValidationException | CelEvaluationException e) {
                // parse() compiled the same expression against the same schema.
                throw new IllegalStateException(
                        "Rule " + rule.name() + " of " + ruleSet.sourceName() + " does not compile",
                        e);
            }
        }
        this.activation = new RecordActivation(schema);
        this.passed = new boolean[rules.size()];
        this.errors = new String[rules.size()];
    }

    public RuleSet ruleSet() {
        return ruleSet;
    }

    /** The rules, in file order; rule indexes below refer to this list. */
    public List<Rule> rules() {
        return rules;
    }

    /**
     * Evaluates every rule on a record of the rule set's schema.
     *
     * @param now the time {@code now} stands for in the rules (processing time)
     * @return how many rules failed; see {@link #passed(int)} for which
     */
    public int evaluate(IndexedRecord record, Instant now) {
        Duration skew = ruleSet.clockSkew();
        activation.reset(record, now, skew);
        Arrays.fill(errors, null);
        int failures = 0;
        for (int i = 0; i < programs.length; i++) {
            boolean ok;
            try {
                Object result = programs[i].eval(activation);
                ok = Boolean.TRUE.equals(result);
                if (!(result instanceof Boolean)) {
                    errors[i] = "did not evaluate to a boolean but to " + result;
                }
            } catch (CelEvaluationException | RuntimeException e) {
                // A rule that cannot be evaluated on a record has not shown the record is good.
                ok = false;
                errors[i] = e.getMessage();
            }
            passed[i] = ok;
            if (!ok) {
                failures++;
            }
        }
        return failures;
    }

    /** Whether rule {@code index} passed on the last evaluated record. */
    public boolean passed(int index) {
        return passed[index];
    }

    /** Why rule {@code index} could not be evaluated on the last record, or null. */
    public String error(int index) {
        return errors[index];
    }

    /** The record fields rule {@code index} reads, in order of appearance. */
    public List<String> referencedFields(int index) {
        return referencedFields.get(index);
    }

    /**
     * The values rule {@code index} read from the last evaluated record, as {@code name=value}
     * pairs for error messages. Values of fields marked {@code "pii": true} are not shown.
     */
    public String involvedValues(int index) {
        StringBuilder out = new StringBuilder();
        for (String name : referencedFields.get(index)) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(name).append('=');
            Schema.Field field = schema.getField(name);
            if (field != null && Boolean.TRUE.equals(field.getObjectProp("pii"))) {
                out.append("<pii>");
            } else {
                out.append(render(activation.rawValue(name)));
            }
        }
        return out.toString();
    }

    private static String render(Object value) {
        if (value == null) {
            return "null";
        }
        String text;
        if (value instanceof CharSequence) {
            text = "'" + value + "'";
        } else if (value instanceof ByteBuffer bytes) {
            text = "<" + bytes.remaining() + " bytes>";
        } else {
            text = value.toString();
        }
        return text.length() <= MAX_RENDERED_CHARS
                ? text
                : text.substring(0, MAX_RENDERED_CHARS) + "...(" + text.length() + " chars)";
    }
}
