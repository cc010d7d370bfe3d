package dev.substrate.operators.quality;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compiled rules of one {@link RuleSet}, evaluated record by record. Compiling happens once, in
 * the constructor; an instance is not thread-safe, so each operator instance has its own.
 *
 * <p>Each rule is translated to Java closures over the record's fields ({@link RuleTranslator}),
 * which are about ten times faster than the CEL interpreter; a rule the translator does not cover
 * runs on the CEL program, and so does a translated rule on a record it cannot decide exactly (an
 * error, for example), so verdicts and error messages are always CEL's.
 *
 * <pre>{@code
 * RuleEvaluator rules = RuleSet.load("GpuSample").newEvaluator();
 * if (rules.evaluate(sample, Instant.now()) > 0) { ... rules.passed(i) ... }
 * }</pre>
 */
public final class RuleEvaluator {

    private static final Logger LOG = LoggerFactory.getLogger(RuleEvaluator.class);
    private static final int MAX_RENDERED_CHARS = 64;

    /** Rules already reported as interpreted, so each operator instance does not say it again. */
    private static final Set<String> REPORTED_INTERPRETED = ConcurrentHashMap.newKeySet();

    private final RuleSet ruleSet;
    private final Schema schema;
    private final List<Rule> rules;
    private final CelRuntime.Program[] programs;
    // The translated rules; null where a rule runs on its CEL program only.
    private final CompiledExpr.Bool[] compiled;
    private final String[] interpretedBecause;
    private final EvalFrame frame;
    private final List<List<String>> referencedFields;
    private final RecordActivation activation;
    private final boolean[] passed;
    private final String[] errors;
    private long deferred;

    RuleEvaluator(RuleSet ruleSet) {
        this(ruleSet, true);
    }

    /** An evaluator that runs every rule on the CEL interpreter: the reference in tests. */
    static RuleEvaluator interpretedOnly(RuleSet ruleSet) {
        return new RuleEvaluator(ruleSet, false);
    }

    private RuleEvaluator(RuleSet ruleSet, boolean translate) {
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
        List<CelAbstractSyntaxTree> asts = new ArrayList<>(rules.size());
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            try {
                CelAbstractSyntaxTree ast =
                        checked != null
                                ? checked.get(i)
                                : compiler.compile(rule.expression(), ruleSet.sourceName())
                                        .getAst();
                asts.add(ast);
                programs[i] = compiler.cel().createProgram(ast);
                referencedFields.add(List.copyOf(compiler.referencedFields(ast)));
            } catch (CelValidationException | CelEvaluationException e) {
                // parse() compiled the same expression against the same schema.
                throw new IllegalStateException(
                        "Rule " + rule.name() + " of " + ruleSet.sourceName() + " does not compile",
                        e);
            }
        }
        this.compiled = new CompiledExpr.Bool[rules.size()];
        this.interpretedBecause = new String[rules.size()];
        RuleTranslator translator = new RuleTranslator(compiler, ruleSet.clockSkew());
        for (int i = 0; i < rules.size() && translate; i++) {
            try {
                compiled[i] = translator.translate(asts.get(i));
            } catch (RuleTranslator.Unsupported e) {
                interpretedBecause[i] = e.getMessage();
            } catch (RuntimeException e) {
                // A translator defect must not stop a job: the rule still runs, interpreted.
                interpretedBecause[i] = "translation failed: " + e;
            }
            if (interpretedBecause[i] != null
                    && REPORTED_INTERPRETED.add(
                            ruleSet.sourceName()
                                    + '/'
                                    + rules.get(i).name()
                                    + '/'
                                    + rules.get(i).expression())) {
                LOG.info(
                        "Rule {} of {} runs on the CEL interpreter (slower): {}",
                        rules.get(i).name(),
                        ruleSet.sourceName(),
                        interpretedBecause[i]);
            }
        }
        this.frame =
                new EvalFrame(
                        translator.variableSlots(),
                        compiler.options().comprehensionMaxIterations());
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
        activation.reset(record, now, ruleSet.clockSkew());
        long nanos = 0;
        boolean inRange = true;
        try {
            nanos = RuleTranslator.toNanos(now.getEpochSecond(), now.getNano());
        } catch (ArithmeticException e) {
            inRange = false;
        }
        frame.reset(record, nanos, inRange);
        return evaluateAll();
    }

    /**
     * Evaluates every rule on a record of the rule set's schema, with {@code now} in epoch
     * milliseconds (as Flink's processing time is), creating no {@link Instant} per record.
     *
     * @return how many rules failed; see {@link #passed(int)} for which
     */
    public int evaluate(IndexedRecord record, long nowMillis) {
        activation.reset(record, nowMillis, ruleSet.clockSkew());
        long nanos = 0;
        boolean inRange = true;
        try {
            nanos = Math.multiplyExact(nowMillis, 1_000_000L);
        } catch (ArithmeticException e) {
            inRange = false;
        }
        frame.reset(record, nanos, inRange);
        return evaluateAll();
    }

    private int evaluateAll() {
        int failures = 0;
        for (int i = 0; i < programs.length; i++) {
            boolean ok;
            CompiledExpr.Bool rule = compiled[i];
            if (rule != null) {
                frame.startRule();
                try {
                    ok = rule.test(frame);
                    errors[i] = null;
                } catch (CompiledExpr.NeedsInterpreter undecided) {
                    deferred++;
                    ok = interpret(i);
                }
            } else {
                ok = interpret(i);
            }
            passed[i] = ok;
            if (!ok) {
                failures++;
            }
        }
        return failures;
    }

    /** Runs rule {@code i} on its CEL program; sets its error and returns whether it passed. */
    private boolean interpret(int i) {
        try {
            Object result = programs[i].eval(activation);
            boolean ok = Boolean.TRUE.equals(result);
            errors[i] =
                    result instanceof Boolean
                            ? null
                            : "did not evaluate to a boolean but to " + result;
            return ok;
        } catch (CelEvaluationException | RuntimeException e) {
            // A rule that cannot be evaluated on a record has not shown the record is good.
            errors[i] = e.getMessage();
            return false;
        }
    }

    /**
     * Whether rule {@code index} runs as translated Java code; false means it always runs on the
     * CEL interpreter (logged once when the evaluator is created).
     */
    public boolean isCompiled(int index) {
        return compiled[index] != null;
    }

    /** How often a translated rule left a record to the interpreter (for tests). */
    long deferredToInterpreter() {
        return deferred;
    }

    /** Why rule {@code index} is not translated, or null when it is. */
    String interpretedBecause(int index) {
        return interpretedBecause[index];
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
