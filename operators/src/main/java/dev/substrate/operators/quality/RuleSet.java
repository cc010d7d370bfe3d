package dev.substrate.operators.quality;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import dev.substrate.operators.config.ConfigFileException;
import dev.substrate.schemas.EventType;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;

/**
 * The quality rules of one event type, read from its rule file beside the schemas (classpath {@code
 * rules/<Name>.rules.yaml}) and checked against the record's schema when read: a file with any
 * defect is refused with its name, line and reason, so a job does not start with bad rules.
 *
 * <pre>{@code
 * event_type: GpuSample
 * clock_skew: 5m            # how far in the future `now + clock_skew` lets timestamps be
 * rules:
 *   - name: utilization_is_percentage
 *     doc: GPU utilization is a percentage.
 *     expression: utilization_pct >= 0.0 && utilization_pct <= 100.0
 *     severity: ERROR       # INFO, WARNING, ERROR, CRITICAL
 *     action: DLQ           # DLQ, TAG, NONE
 * }</pre>
 *
 * <p>Expressions are CEL over the record's fields by name. Besides the fields there are {@code now}
 * (processing time, a timestamp), {@code clock_skew} (a duration) and {@code record} (the whole
 * record, so {@code has(record.power_limit_w)} tells whether a nullable field is set). Enums are
 * strings, {@code timestamp-millis} fields are timestamps, nullable fields may be {@code null},
 * arrays are lists and maps are maps. The CEL string extensions are available.
 *
 * <p>A rule set is serializable and holds no compiled code: each operator compiles it once with
 * {@link #newEvaluator()}.
 */
public final class RuleSet implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The clock skew when a rule file does not set {@code clock_skew}. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofMinutes(5);

    private static final String RESOURCE_FORMAT = "rules/%s.rules.yaml";
    private static final Pattern RULE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final String eventTypeName;
    private final String sourceName;
    private final String schemaJson;
    private final Duration clockSkew;
    private final List<Rule> rules;
    private transient Schema schema;
    // Kept from parsing so an evaluator in the same JVM need not compile again; not serialized.
    private transient RuleCompiler compiler;
    private transient List<CelAbstractSyntaxTree> checked;

    private RuleSet(
            String eventTypeName,
            String sourceName,
            Schema schema,
            Duration clockSkew,
            List<Rule> rules,
            RuleCompiler compiler,
            List<CelAbstractSyntaxTree> checked) {
        this.eventTypeName = eventTypeName;
        this.sourceName = sourceName;
        this.schema = schema;
        // Avro schemas are kept as JSON so the rule set serializes with any Avro version.
        this.schemaJson = schema.toString();
        this.clockSkew = clockSkew;
        this.rules = List.copyOf(rules);
        this.compiler = compiler;
        this.checked = checked;
    }

    /**
     * The rules of an input event type from the classpath resource {@code
     * rules/<eventTypeName>.rules.yaml}.
     *
     * @param eventTypeName the record's simple name, for example {@code GpuSample}
     * @throws ConfigFileException when the file is missing or has any defect
     */
    public static RuleSet load(String eventTypeName) {
        String resource = resourceName(eventTypeName);
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        InputStream found = loader == null ? null : loader.getResourceAsStream(resource);
        if (found == null) {
            found = RuleSet.class.getClassLoader().getResourceAsStream(resource);
        }
        if (found == null) {
            throw new ConfigFileException(
                    resource,
                    0,
                    "no rule file for event type '"
                            + eventTypeName
                            + "' on the classpath (rule files live in"
                            + " schemas/src/main/resources/rules)");
        }
        String text;
        try (InputStream in = found) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read rule file " + resource, e);
        }
        return parse(text, resource, null, eventTypeName);
    }

    /** The classpath resource of an event type's rule file. */
    public static String resourceName(String eventTypeName) {
        return String.format(RESOURCE_FORMAT, eventTypeName);
    }

    /**
     * Reads a rule file whose {@code event_type} is one of the {@link EventType}s.
     *
     * @param sourceName the file's name, used in error messages
     * @throws ConfigFileException on any defect: bad YAML, an unknown key, a missing or empty key,
     *     an expression that does not compile (for example one naming a field the record does not
     *     have) or is not boolean, an unknown severity or action, a duplicate or malformed rule
     *     name
     */
    public static RuleSet parse(String yaml, String sourceName) {
        return parse(yaml, sourceName, null, null);
    }

    /**
     * Reads a rule file for records of any Avro record schema; {@code event_type} must be the
     * schema's name.
     */
    public static RuleSet parse(String yaml, String sourceName, Schema schema) {
        return parse(yaml, sourceName, Objects.requireNonNull(schema, "schema"), null);
    }

    private static RuleSet parse(
            String yaml, String sourceName, Schema knownSchema, String expectedType) {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(sourceName, "sourceName");
        RuleFileParser.Parsed parsed = RuleFileParser.parse(yaml, sourceName);

        RuleFileParser.Value typeValue = parsed.header().get(RuleFileParser.EVENT_TYPE);
        if (typeValue == null || typeValue.text().isBlank()) {
            throw new ConfigFileException(
                    sourceName, 1, "no 'event_type' (the record name, for example GpuSample)");
        }
        String typeName = typeValue.text().trim();
        if (expectedType != null && !expectedType.equals(typeName)) {
            throw new ConfigFileException(
                    sourceName,
                    typeValue.line(),
                    "event_type is '" + typeName + "' but the file is for '" + expectedType + "'");
        }
        Schema schema = knownSchema != null ? knownSchema : schemaOf(typeName);
        if (schema == null) {
            throw new ConfigFileException(
                    sourceName,
                    typeValue.line(),
                    "unknown event_type '"
                            + typeName
                            + "'; known: "
                            + Arrays.stream(EventType.values())
                                    .map(t -> t.recordClass().getSimpleName())
                                    .collect(Collectors.joining(", ")));
        }
        if (!typeName.equals(schema.getName()) && !typeName.equals(schema.getFullName())) {
            throw new ConfigFileException(
                    sourceName,
                    typeValue.line(),
                    "event_type is '" + typeName + "' but the schema is " + schema.getFullName());
        }

        Duration skew = DEFAULT_CLOCK_SKEW;
        RuleFileParser.Value skewValue = parsed.header().get(RuleFileParser.CLOCK_SKEW);
        if (skewValue != null) {
            skew = duration(skewValue, sourceName);
        }

        RuleCompiler compiler = new RuleCompiler(schema);
        List<Rule> rules = new ArrayList<>();
        List<CelAbstractSyntaxTree> checked = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        for (RuleFileParser.Entry entry : parsed.rules()) {
            Rule rule = rule(entry, sourceName, compiler, schema, checked);
            Integer first = names.putIfAbsent(rule.name(), entry.values().get("name").line());
            if (first != null) {
                throw new ConfigFileException(
                        sourceName,
                        entry.values().get("name").line(),
                        "duplicate rule name '"
                                + rule.name()
                                + "' (first defined on line "
                                + first
                                + ")");
            }
            rules.add(rule);
        }
        return new RuleSet(
                schema.getName(), sourceName, schema, skew, rules, compiler, List.copyOf(checked));
    }

    private static Rule rule(
            RuleFileParser.Entry entry,
            String file,
            RuleCompiler compiler,
            Schema schema,
            List<CelAbstractSyntaxTree> checked) {
        Map<String, RuleFileParser.Value> values = entry.values();
        RuleFileParser.Value nameValue = values.get(RuleFileParser.NAME);
        if (nameValue == null || nameValue.text().isBlank()) {
            throw new ConfigFileException(file, entry.line(), "a rule has no 'name'");
        }
        String name = nameValue.text().trim();
        if (!RULE_NAME.matcher(name).matches()) {
            throw new ConfigFileException(
                    file,
                    nameValue.line(),
                    "rule name '"
                            + name
                            + "' must be lower snake case (a-z, 0-9, _; at most 64 characters):"
                            + " it names metrics and report rows");
        }
        String doc = required(values, RuleFileParser.DOC, name, entry, file).text().trim();
        Severity severity =
                enumValue(
                        Severity.class,
                        required(values, RuleFileParser.SEVERITY, name, entry, file),
                        "severity",
                        name,
                        file);
        Action action =
                enumValue(
                        Action.class,
                        required(values, RuleFileParser.ACTION, name, entry, file),
                        "action",
                        name,
                        file);
        RuleFileParser.Value expression =
                required(values, RuleFileParser.EXPRESSION, name, entry, file);
        String text = expression.text().strip();
        checked.add(checkCompiles(text, expression, name, file, compiler, schema));
        return new Rule(name, doc, text, severity, action);
    }

    private static RuleFileParser.Value required(
            Map<String, RuleFileParser.Value> values,
            String key,
            String rule,
            RuleFileParser.Entry entry,
            String file) {
        RuleFileParser.Value value = values.get(key);
        if (value == null || value.text().isBlank()) {
            throw new ConfigFileException(
                    file,
                    value == null ? entry.line() : value.line(),
                    "rule '" + rule + "' has no '" + key + "'");
        }
        return value;
    }

    private static <E extends Enum<E>> E enumValue(
            Class<E> type, RuleFileParser.Value value, String what, String rule, String file) {
        try {
            return Enum.valueOf(type, value.text().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigFileException(
                    file,
                    value.line(),
                    "rule '"
                            + rule
                            + "': unknown "
                            + what
                            + " '"
                            + value.text().trim()
                            + "'; expected one of "
                            + Arrays.toString(type.getEnumConstants()));
        }
    }

    private static CelAbstractSyntaxTree checkCompiles(
            String text,
            RuleFileParser.Value at,
            String rule,
            String file,
            RuleCompiler compiler,
            Schema schema) {
        CelValidationResult result = compiler.compile(text, file);
        if (result.hasError()) {
            CelIssue issue = result.getErrors().get(0);
            int celLine = Math.max(1, issue.getSourceLocation().getLine());
            int line =
                    switch (at.blockIndicator()) {
                        case '|' -> at.line() + celLine;
                        case '>' -> at.line() + 1;
                        default -> at.line();
                    };
            throw new ConfigFileException(
                    file,
                    line,
                    "rule '"
                            + rule
                            + "': the expression does not compile: "
                            + issue.getMessage()
                            + unknownFieldHint(issue.getMessage(), schema)
                            + " (column "
                            + Math.max(1, issue.getSourceLocation().getColumn() + 1)
                            + " of: "
                            + text
                            + ")");
        }
        CelAbstractSyntaxTree ast;
        try {
            ast = result.getAst();
        } catch (CelValidationException e) {
            throw new ConfigFileException(
                    file, at.line(), "rule '" + rule + "': " + e.getMessage());
        }
        if (!SimpleType.BOOL.equals(ast.getResultType())) {
            throw new ConfigFileException(
                    file,
                    at.line(),
                    "rule '"
                            + rule
                            + "': the expression is of type "
                            + ast.getResultType().name()
                            + ", not bool; a rule is a condition that good records meet: "
                            + text);
        }
        return ast;
    }

    private static final Pattern UNKNOWN_NAME =
            Pattern.compile("(?:undeclared reference to|undefined field) '([^']+)'");

    private static String unknownFieldHint(String message, Schema schema) {
        Matcher m = UNKNOWN_NAME.matcher(message);
        if (!m.find()) {
            return "";
        }
        return " — "
                + schema.getName()
                + " has no field '"
                + m.group(1)
                + "'; its fields are "
                + schema.getFields().stream()
                        .map(Schema.Field::name)
                        .collect(Collectors.joining(", "))
                + " (and now, clock_skew, record)";
    }

    private static Duration duration(RuleFileParser.Value value, String file) {
        String text = value.text().trim();
        Matcher m = SHORT_DURATION.matcher(text);
        if (m.matches()) {
            long amount = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        try {
            Duration parsed = Duration.parse(text);
            if (!parsed.isNegative()) {
                return parsed;
            }
        } catch (DateTimeParseException e) {
            // Reported below with the accepted forms.
        }
        throw new ConfigFileException(
                file,
                value.line(),
                "clock_skew '" + text + "' is not a duration such as 500ms, 30s, 5m, 1h or PT5M");
    }

    private static Schema schemaOf(String typeName) {
        for (EventType type : EventType.values()) {
            if (type.recordClass().getSimpleName().equals(typeName)) {
                return SpecificData.getForClass(type.recordClass()).getSchema(type.recordClass());
            }
        }
        return null;
    }

    /** The record name the rules are for, for example {@code GpuSample}. */
    public String eventTypeName() {
        return eventTypeName;
    }

    /** Where the rules were read from, for messages. */
    public String sourceName() {
        return sourceName;
    }

    /** The record schema the expressions were checked against. */
    public Schema schema() {
        if (schema == null) {
            schema = new Schema.Parser().parse(schemaJson);
        }
        return schema;
    }

    /** How far in the future a timestamp may be ({@code clock_skew} in the rules). */
    public Duration clockSkew() {
        return clockSkew;
    }

    /** The same rules with another clock skew (for example from the job configuration). */
    public RuleSet withClockSkew(Duration newClockSkew) {
        if (newClockSkew == null || newClockSkew.isNegative()) {
            throw new IllegalArgumentException("clock skew must be >= 0: " + newClockSkew);
        }
        return new RuleSet(
                eventTypeName, sourceName, schema(), newClockSkew, rules, compiler, checked);
    }

    /** The compiler and checked expressions of parsing, or null after deserialization. */
    RuleCompiler compilerIfParsedHere() {
        return compiler;
    }

    List<CelAbstractSyntaxTree> checkedIfParsedHere() {
        return checked;
    }

    /** The rules in file order. */
    public List<Rule> rules() {
        return rules;
    }

    /** Compiles the rules for evaluation; call once per operator instance (in {@code open}). */
    public RuleEvaluator newEvaluator() {
        return new RuleEvaluator(this);
    }

    @Override
    public String toString() {
        return "RuleSet[" + eventTypeName + " from " + sourceName + ", " + rules.size() + " rules]";
    }
}
