package dev.substrate.operators.quality;

import dev.cel.bundle.Cel;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import dev.cel.runtime.CelEvaluationException;
import dev.substrate.operators.quality.CompiledExpr.Bool;
import dev.substrate.operators.quality.CompiledExpr.Int;
import dev.substrate.operators.quality.CompiledExpr.Nanos;
import dev.substrate.operators.quality.CompiledExpr.Raw;
import dev.substrate.operators.quality.CompiledExpr.Real;
import dev.substrate.operators.quality.CompiledExpr.Text;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * Translates a type-checked rule into a tree of small Java closures ({@link CompiledExpr}) that
 * read the Avro record by field position, with CEL's semantics: the overload the checker chose
 * decides the operation, and whatever could differ from CEL defers to the interpreter at run time.
 *
 * <p>Covered: literals; fields by name and as {@code record.f}; {@code has(record.f)}; {@code == !=
 * < <= > >=} (int, double, mixed int and double, string, bool, timestamp, duration, null); {@code
 * && || ! ?:}; {@code + - * / %} and negation on numbers, timestamps and durations; {@code size} of
 * strings, lists and maps; {@code in} a list of literals; {@code matches startsWith endsWith
 * contains trim}; {@code timestamp('...')} and {@code duration('...')} of literals (folded); {@code
 * now}, {@code clock_skew}; {@code all} and {@code exists} over lists and maps. A rule using
 * anything else is refused with {@link Unsupported} and runs interpreted.
 */
final class RuleTranslator {

    /** Why a rule cannot be translated; such a rule runs on the CEL interpreter. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String reason) {
            super(reason, null, false, false);
        }
    }

    private enum Kind {
        BOOL,
        INT,
        DOUBLE,
        STRING,
        TIMESTAMP,
        DURATION,
        LIST,
        MAP,
        NULL
    }

    /**
     * A translated sub-expression: its kind, the closure computing it, and, when it reads a raw
     * value (a field or a comprehension variable), how to read that value raw, for null tests.
     */
    private record Node(Kind kind, Object fn, Raw raw, Schema elementSchema, Object constant) {

        Bool bool() {
            return (Bool) fn;
        }

        Int integer() {
            return (Int) fn;
        }

        Real real() {
            return (Real) fn;
        }

        Text text() {
            return (Text) fn;
        }

        Nanos nanos() {
            return (Nanos) fn;
        }

        Raw collection() {
            return (Raw) fn;
        }

        /** Evaluates for errors only: a strict operand next to a null is still evaluated by CEL. */
        void touch(EvalFrame f) {
            switch (kind) {
                case BOOL -> bool().test(f);
                case INT -> integer().get(f);
                case DOUBLE -> real().get(f);
                case STRING -> text().get(f);
                case TIMESTAMP, DURATION -> nanos().get(f);
                case LIST, MAP -> collection().get(f);
                case NULL -> {}
            }
        }
    }

    /** Longest first: less_equals_int64 is not less_ of equals_int64. */
    private static final List<String> COMPARISON_PREFIXES =
            List.of("less_equals_", "greater_equals_", "less_", "greater_");

    private static final Schema STRING_SCHEMA = Schema.create(Schema.Type.STRING);
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Schema schema;
    private final Cel cel;
    private final CelOptions options;
    private final Duration clockSkew;
    private CelAbstractSyntaxTree ast;
    private final Map<String, Integer> scope = new HashMap<>();
    private final Map<Integer, Schema> slotSchemas = new HashMap<>();
    private int slots;
    private int maxSlots;

    RuleTranslator(RuleCompiler compiler, Duration clockSkew) {
        this.schema = compiler.schema();
        this.cel = compiler.cel();
        this.options = compiler.options();
        this.clockSkew = clockSkew;
    }

    /** Comprehension variable slots the translated rules need in their {@link EvalFrame}. */
    int variableSlots() {
        return maxSlots;
    }

    /** Translates one checked rule expression. */
    Bool translate(CelAbstractSyntaxTree checked) throws Unsupported {
        if (!checked.isChecked()) {
            throw new Unsupported("the expression is not type-checked");
        }
        this.ast = checked;
        this.scope.clear();
        this.slots = 0;
        Node root = node(checked.getExpr());
        if (root.kind() != Kind.BOOL) {
            throw new Unsupported("the expression is not a bool");
        }
        return root.bool();
    }

    private Node node(CelExpr e) throws Unsupported {
        checkType(e);
        return switch (e.getKind()) {
            case CONSTANT -> constant(e.constant());
            case IDENT -> ident(e);
            case SELECT -> select(e);
            case CALL -> call(e);
            case COMPREHENSION -> comprehension(e);
            default -> throw new Unsupported(e.getKind() + " expressions");
        };
    }

    private void checkType(CelExpr e) throws Unsupported {
        Optional<CelType> type = ast.getType(e.id());
        if (type.isEmpty()) {
            return;
        }
        CelKind kind = type.get().kind();
        switch (kind) {
            case BOOL, INT, DOUBLE, STRING, TIMESTAMP, DURATION, NULL_TYPE, LIST, MAP, STRUCT -> {}
            default -> throw new Unsupported("values of type " + type.get().name());
        }
    }

    // ---- leaves ----

    private static Node constant(CelConstant c) throws Unsupported {
        switch (c.getKind()) {
            case NULL_VALUE:
                return new Node(Kind.NULL, null, null, null, null);
            case BOOLEAN_VALUE:
                {
                    boolean v = c.booleanValue();
                    return new Node(Kind.BOOL, (Bool) f -> v, null, null, v);
                }
            case INT64_VALUE:
                {
                    long v = c.int64Value();
                    return new Node(Kind.INT, (Int) f -> v, null, null, v);
                }
            case DOUBLE_VALUE:
                {
                    double v = c.doubleValue();
                    return new Node(Kind.DOUBLE, (Real) f -> v, null, null, v);
                }
            case STRING_VALUE:
                {
                    String v = c.stringValue();
                    return new Node(Kind.STRING, (Text) f -> v, null, null, v);
                }
            default:
                throw new Unsupported(c.getKind() + " literals");
        }
    }

    private Node ident(CelExpr e) throws Unsupported {
        String name = e.ident().name();
        Integer slot = scope.get(name);
        if (slot != null) {
            int s = slot;
            return read(f -> f.variables[s], slotSchemas.get(s));
        }
        if (RuleCompiler.NOW.equals(name)) {
            return new Node(Kind.TIMESTAMP, (Nanos) EvalFrame::now, null, null, null);
        }
        if (RuleCompiler.CLOCK_SKEW.equals(name)) {
            long skew;
            try {
                skew = toNanos(clockSkew.getSeconds(), clockSkew.getNano());
            } catch (ArithmeticException ex) {
                throw new Unsupported("a clock skew beyond 292 years");
            }
            return new Node(Kind.DURATION, (Nanos) f -> skew, null, null, skew);
        }
        Schema.Field field = schema.getField(name);
        if (field == null || RuleCompiler.isReservedVariable(name)) {
            throw new Unsupported("the identifier " + name);
        }
        return field(field);
    }

    private Node select(CelExpr e) throws Unsupported {
        CelExpr.CelSelect select = e.select();
        CelExpr operand = select.operand();
        boolean onRecord =
                operand.getKind() == CelExpr.ExprKind.Kind.IDENT
                        && RuleCompiler.RECORD.equals(operand.ident().name())
                        && !scope.containsKey(RuleCompiler.RECORD);
        Schema.Field field = onRecord ? schema.getField(select.field()) : null;
        if (field == null) {
            throw new Unsupported("selecting ." + select.field() + " from anything but record");
        }
        if (select.testOnly()) {
            int pos = field.pos();
            return new Node(Kind.BOOL, (Bool) f -> f.record.get(pos) != null, null, null, null);
        }
        return field(field);
    }

    private Node field(Schema.Field field) throws Unsupported {
        int pos = field.pos();
        return read(f -> f.record.get(pos), field.schema());
    }

    /** Reads a raw Avro value of a schema the way {@link AvroCel#valueOf} presents it to CEL. */
    private static Node read(Raw raw, Schema declared) throws Unsupported {
        Schema s = declared;
        if (s.getType() == Schema.Type.UNION) {
            s = AvroCel.nonNullBranch(s);
            if (s == null) {
                throw new Unsupported("unions other than [null, T]");
            }
        }
        switch (s.getType()) {
            case STRING:
            case ENUM:
                return new Node(Kind.STRING, (Text) f -> text(raw.get(f)), raw, null, null);
            case INT:
            case LONG:
                {
                    LogicalType logical = s.getLogicalType();
                    if (logical instanceof LogicalTypes.TimestampMillis) {
                        return new Node(
                                Kind.TIMESTAMP,
                                (Nanos) f -> timestampNanos(raw.get(f), 1_000_000L),
                                raw,
                                null,
                                null);
                    }
                    if (logical instanceof LogicalTypes.TimestampMicros) {
                        return new Node(
                                Kind.TIMESTAMP,
                                (Nanos) f -> timestampNanos(raw.get(f), 1_000L),
                                raw,
                                null,
                                null);
                    }
                    if (logical != null && s.getType() == Schema.Type.LONG) {
                        throw new Unsupported("longs of logical type " + logical.getName());
                    }
                    return new Node(Kind.INT, (Int) f -> integer(raw.get(f)), raw, null, null);
                }
            case FLOAT:
            case DOUBLE:
                return new Node(Kind.DOUBLE, (Real) f -> real(raw.get(f)), raw, null, null);
            case BOOLEAN:
                return new Node(Kind.BOOL, (Bool) f -> bool(raw.get(f)), raw, null, null);
            case ARRAY:
                return new Node(
                        Kind.LIST,
                        (Raw)
                                f -> {
                                    Object v = raw.get(f);
                                    if (v instanceof List<?>) {
                                        return v;
                                    }
                                    throw CompiledExpr.NEEDS_INTERPRETER;
                                },
                        raw,
                        s.getElementType(),
                        null);
            case MAP:
                return new Node(
                        Kind.MAP,
                        (Raw)
                                f -> {
                                    Object v = raw.get(f);
                                    if (v instanceof Map<?, ?>) {
                                        return v;
                                    }
                                    throw CompiledExpr.NEEDS_INTERPRETER;
                                },
                        raw,
                        STRING_SCHEMA,
                        null);
            default:
                throw new Unsupported("fields of Avro type " + s.getType());
        }
    }

    static String text(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v == null) {
            throw CompiledExpr.NEEDS_INTERPRETER;
        }
        return v.toString();
    }

    static long integer(Object v) {
        if (v instanceof Integer i) {
            return i;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw CompiledExpr.NEEDS_INTERPRETER;
    }

    static double real(Object v) {
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Float x) {
            return x;
        }
        throw CompiledExpr.NEEDS_INTERPRETER;
    }

    static boolean bool(Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        throw CompiledExpr.NEEDS_INTERPRETER;
    }

    /**
     * A timestamp field's value in nanoseconds since the epoch: an Instant, or a raw long in units
     * of {@code nanosPerUnit} (1,000,000 for timestamp-millis, 1,000 for timestamp-micros).
     */
    static long timestampNanos(Object v, long nanosPerUnit) {
        try {
            if (v instanceof Instant i) {
                return toNanos(i.getEpochSecond(), i.getNano());
            }
            if (v instanceof Long l) {
                return Math.multiplyExact(l.longValue(), nanosPerUnit);
            }
        } catch (ArithmeticException e) {
            // Beyond about 292 years from 1970: the interpreter answers.
        }
        throw CompiledExpr.NEEDS_INTERPRETER;
    }

    static long toNanos(long seconds, int nanos) {
        return Math.addExact(Math.multiplyExact(seconds, NANOS_PER_SECOND), nanos);
    }

    // ---- calls ----

    private Node call(CelExpr e) throws Unsupported {
        CelExpr.CelCall call = e.call();
        String function = call.function();
        switch (function) {
            case "_&&_":
                return and(bool(call.args().get(0)), bool(call.args().get(1)));
            case "_||_":
                return or(bool(call.args().get(0)), bool(call.args().get(1)));
            case "!_":
                {
                    Bool a = bool(call.args().get(0));
                    return boolNode(f -> !a.test(f));
                }
            case "_?_:_":
                return conditional(call);
            case "_==_":
                return equality(node(call.args().get(0)), node(call.args().get(1)), false);
            case "_!=_":
                return equality(node(call.args().get(0)), node(call.args().get(1)), true);
            case "@in":
                return in(call);
            default:
                break;
        }
        String overload = overload(e);
        List<CelExpr> operands = operands(call);
        if (function.equals("_<_")
                || function.equals("_<=_")
                || function.equals("_>_")
                || function.equals("_>=_")) {
            return comparison(function, overload, node(operands.get(0)), node(operands.get(1)));
        }
        return switch (overload) {
            case "add_int64", "subtract_int64", "multiply_int64", "divide_int64", "modulo_int64" ->
                    intArithmetic(overload, node(operands.get(0)), node(operands.get(1)));
            case "add_double", "subtract_double", "multiply_double", "divide_double" ->
                    doubleArithmetic(overload, node(operands.get(0)), node(operands.get(1)));
            case "negate_int64" -> {
                Int a = expect(node(operands.get(0)), Kind.INT).integer();
                yield new Node(
                        Kind.INT,
                        (Int)
                                f -> {
                                    long v = a.get(f);
                                    if (v == Long.MIN_VALUE) {
                                        throw CompiledExpr.NEEDS_INTERPRETER;
                                    }
                                    return -v;
                                },
                        null,
                        null,
                        null);
            }
            case "negate_double" -> {
                Real a = expect(node(operands.get(0)), Kind.DOUBLE).real();
                yield new Node(Kind.DOUBLE, (Real) f -> -a.get(f), null, null, null);
            }
            case "add_timestamp_duration",
                    "add_duration_timestamp",
                    "add_duration_duration",
                    "subtract_timestamp_timestamp",
                    "subtract_timestamp_duration",
                    "subtract_duration_duration" ->
                    timeArithmetic(overload, node(operands.get(0)), node(operands.get(1)));
            case "size_string", "string_size" -> {
                Text s = expect(node(operands.get(0)), Kind.STRING).text();
                yield new Node(
                        Kind.INT,
                        (Int)
                                f -> {
                                    String v = s.get(f);
                                    return v.codePointCount(0, v.length());
                                },
                        null,
                        null,
                        null);
            }
            case "size_list", "list_size" -> {
                Raw list = expect(node(operands.get(0)), Kind.LIST).collection();
                yield new Node(
                        Kind.INT, (Int) f -> ((List<?>) list.get(f)).size(), null, null, null);
            }
            case "size_map", "map_size" -> {
                Raw map = expect(node(operands.get(0)), Kind.MAP).collection();
                yield new Node(
                        Kind.INT, (Int) f -> ((Map<?, ?>) map.get(f)).size(), null, null, null);
            }
            case "matches", "matches_string" -> matches(operands);
            case "starts_with_string" -> {
                Text s = expect(node(operands.get(0)), Kind.STRING).text();
                Text p = expect(node(operands.get(1)), Kind.STRING).text();
                yield boolNode(f -> s.get(f).startsWith(p.get(f)));
            }
            case "ends_with_string" -> {
                Text s = expect(node(operands.get(0)), Kind.STRING).text();
                Text p = expect(node(operands.get(1)), Kind.STRING).text();
                yield boolNode(f -> s.get(f).endsWith(p.get(f)));
            }
            case "contains_string" -> {
                Text s = expect(node(operands.get(0)), Kind.STRING).text();
                Text p = expect(node(operands.get(1)), Kind.STRING).text();
                yield boolNode(f -> s.get(f).contains(p.get(f)));
            }
            case "string_trim" -> {
                Text s = expect(node(operands.get(0)), Kind.STRING).text();
                yield new Node(Kind.STRING, (Text) f -> trim(s.get(f)), null, null, null);
            }
            case "string_to_timestamp", "string_to_duration" -> fold(e, operands);
            default -> throw new Unsupported("the function " + function + " (" + overload + ")");
        };
    }

    /** The single overload the checker chose for a call. */
    private String overload(CelExpr e) throws Unsupported {
        Optional<CelReference> reference = ast.getReference(e.id());
        if (reference.isEmpty() || reference.get().overloadIds().size() != 1) {
            throw new Unsupported("a call with no single overload: " + e.call().function());
        }
        return reference.get().overloadIds().get(0);
    }

    /** The receiver (if any) followed by the arguments. */
    private static List<CelExpr> operands(CelExpr.CelCall call) {
        if (call.target().isEmpty()) {
            return call.args();
        }
        List<CelExpr> all = new java.util.ArrayList<>(call.args().size() + 1);
        all.add(call.target().get());
        all.addAll(call.args());
        return all;
    }

    private Bool bool(CelExpr e) throws Unsupported {
        return expect(node(e), Kind.BOOL).bool();
    }

    private static Node expect(Node n, Kind kind) throws Unsupported {
        if (n.kind() != kind) {
            throw new Unsupported("a " + n.kind() + " where a " + kind + " is expected");
        }
        return n;
    }

    private static Node boolNode(Bool fn) {
        return new Node(Kind.BOOL, fn, null, null, null);
    }

    /** CEL's commutative AND: false wins over an error on either side. */
    private static Node and(Bool a, Bool b) {
        return boolNode(
                f -> {
                    boolean left;
                    try {
                        left = a.test(f);
                    } catch (CompiledExpr.NeedsInterpreter e) {
                        if (!b.test(f)) {
                            return false;
                        }
                        throw e;
                    }
                    return left && b.test(f);
                });
    }

    /** CEL's commutative OR: true wins over an error on either side. */
    private static Node or(Bool a, Bool b) {
        return boolNode(
                f -> {
                    boolean left;
                    try {
                        left = a.test(f);
                    } catch (CompiledExpr.NeedsInterpreter e) {
                        if (b.test(f)) {
                            return true;
                        }
                        throw e;
                    }
                    return left || b.test(f);
                });
    }

    private Node conditional(CelExpr.CelCall call) throws Unsupported {
        Bool c = bool(call.args().get(0));
        Node t = node(call.args().get(1));
        Node o = node(call.args().get(2));
        if (t.kind() != o.kind()) {
            throw new Unsupported("a conditional whose branches differ in kind");
        }
        return switch (t.kind()) {
            case BOOL -> {
                Bool x = t.bool();
                Bool y = o.bool();
                yield boolNode(f -> c.test(f) ? x.test(f) : y.test(f));
            }
            case INT -> {
                Int x = t.integer();
                Int y = o.integer();
                yield new Node(
                        Kind.INT, (Int) f -> c.test(f) ? x.get(f) : y.get(f), null, null, null);
            }
            case DOUBLE -> {
                Real x = t.real();
                Real y = o.real();
                yield new Node(
                        Kind.DOUBLE, (Real) f -> c.test(f) ? x.get(f) : y.get(f), null, null, null);
            }
            case STRING -> {
                Text x = t.text();
                Text y = o.text();
                yield new Node(
                        Kind.STRING, (Text) f -> c.test(f) ? x.get(f) : y.get(f), null, null, null);
            }
            case TIMESTAMP, DURATION -> {
                Nanos x = t.nanos();
                Nanos y = o.nanos();
                yield new Node(
                        t.kind(), (Nanos) f -> c.test(f) ? x.get(f) : y.get(f), null, null, null);
            }
            default -> throw new Unsupported("a conditional of " + t.kind());
        };
    }

    // ---- equality ----

    /**
     * CEL equality is defined for any two values: a null equals only null, and a field that is null
     * in the record (even one the schema says cannot be) is CEL's null.
     */
    private static Node equality(Node a, Node b, boolean negate) throws Unsupported {
        if (a.kind() == Kind.NULL && b.kind() == Kind.NULL) {
            return boolNode(f -> !negate);
        }
        if (a.kind() == Kind.NULL || b.kind() == Kind.NULL) {
            Node other = a.kind() == Kind.NULL ? b : a;
            if (other.raw() != null) {
                Raw raw = other.raw();
                return boolNode(f -> (raw.get(f) == null) != negate);
            }
            // A computed value is never null here: it is a value (unequal) or an error.
            return boolNode(
                    f -> {
                        other.touch(f);
                        return negate;
                    });
        }
        if (a.kind() != b.kind()) {
            throw new Unsupported("equality of " + a.kind() + " and " + b.kind());
        }
        // The hot case: a string field against a literal, such as action == 'DATA_EXPORT'.
        if (a.kind() == Kind.STRING && (a.raw() != null) != (b.raw() != null)) {
            Node field = a.raw() != null ? a : b;
            Node other = a.raw() != null ? b : a;
            if (other.constant() instanceof String literal) {
                Raw raw = field.raw();
                return boolNode(
                        f -> {
                            Object v = raw.get(f);
                            return v == null ? negate : text(v).equals(literal) != negate;
                        });
            }
        }
        Bool values =
                switch (a.kind()) {
                    case BOOL -> {
                        Bool x = a.bool();
                        Bool y = b.bool();
                        yield f -> x.test(f) == y.test(f);
                    }
                    case INT -> {
                        Int x = a.integer();
                        Int y = b.integer();
                        yield f -> x.get(f) == y.get(f);
                    }
                    case DOUBLE -> {
                        Real x = a.real();
                        Real y = b.real();
                        yield f -> {
                            double u = x.get(f);
                            double v = y.get(f);
                            if (Double.isNaN(u) || Double.isNaN(v)) {
                                throw CompiledExpr.NEEDS_INTERPRETER;
                            }
                            return u == v;
                        };
                    }
                    case STRING -> {
                        Text x = a.text();
                        Text y = b.text();
                        yield f -> x.get(f).equals(y.get(f));
                    }
                    case TIMESTAMP, DURATION -> {
                        Nanos x = a.nanos();
                        Nanos y = b.nanos();
                        yield f -> x.get(f) == y.get(f);
                    }
                    default -> throw new Unsupported("equality of " + a.kind());
                };
        Raw rawA = a.raw();
        Raw rawB = b.raw();
        if (rawA == null && rawB == null) {
            return boolNode(f -> values.test(f) != negate);
        }
        return boolNode(
                f -> {
                    boolean nullA = rawA != null && rawA.get(f) == null;
                    boolean nullB = rawB != null && rawB.get(f) == null;
                    if (nullA || nullB) {
                        if (!nullA) {
                            a.touch(f);
                        }
                        if (!nullB) {
                            b.touch(f);
                        }
                        return (nullA && nullB) != negate;
                    }
                    return values.test(f) != negate;
                });
    }

    private Node in(CelExpr.CelCall call) throws Unsupported {
        Node element = node(call.args().get(0));
        CelExpr listExpr = call.args().get(1);
        if (listExpr.getKind() != CelExpr.ExprKind.Kind.LIST
                || !listExpr.list().optionalIndices().isEmpty()) {
            throw new Unsupported("'in' anything but a list of literals");
        }
        Set<Object> values = new HashSet<>();
        for (CelExpr item : listExpr.list().elements()) {
            if (item.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
                throw new Unsupported("'in' a list that is not all literals");
            }
            Node literal = constant(item.constant());
            if (literal.kind() != element.kind()) {
                throw new Unsupported("'in' a list of other kinds than the element");
            }
            values.add(literal.constant());
        }
        Raw raw = element.raw();
        switch (element.kind()) {
            case STRING:
                {
                    Text text = element.text();
                    if (raw != null) {
                        return boolNode(
                                f -> {
                                    Object v = raw.get(f);
                                    return v != null && values.contains(text(v));
                                });
                    }
                    return boolNode(f -> values.contains(text.get(f)));
                }
            case INT:
                {
                    Int integer = element.integer();
                    return boolNode(
                            f ->
                                    (raw == null || raw.get(f) != null)
                                            && values.contains(integer.get(f)));
                }
            case BOOL:
                {
                    Bool b = element.bool();
                    return boolNode(
                            f -> (raw == null || raw.get(f) != null) && values.contains(b.test(f)));
                }
            default:
                throw new Unsupported("'in' for " + element.kind());
        }
    }

    // ---- ordering ----

    private static Node comparison(String function, String overload, Node a, Node b)
            throws Unsupported {
        int op =
                switch (function) {
                    case "_<_" -> 0;
                    case "_<=_" -> 1;
                    case "_>_" -> 2;
                    default -> 3;
                };
        String operands = null;
        for (String prefix : COMPARISON_PREFIXES) {
            if (overload.startsWith(prefix)) {
                operands = overload.substring(prefix.length());
                break;
            }
        }
        if (operands == null) {
            throw new Unsupported("the comparison " + overload);
        }
        switch (operands) {
            case "int64":
                {
                    Int x = expect(a, Kind.INT).integer();
                    Int y = expect(b, Kind.INT).integer();
                    return switch (op) {
                        case 0 -> boolNode(f -> x.get(f) < y.get(f));
                        case 1 -> boolNode(f -> x.get(f) <= y.get(f));
                        case 2 -> boolNode(f -> x.get(f) > y.get(f));
                        default -> boolNode(f -> x.get(f) >= y.get(f));
                    };
                }
            case "double":
                {
                    Real x = expect(a, Kind.DOUBLE).real();
                    Real y = expect(b, Kind.DOUBLE).real();
                    return switch (op) {
                        case 0 -> boolNode(f -> compareDoubles(x.get(f), y.get(f)) < 0);
                        case 1 -> boolNode(f -> compareDoubles(x.get(f), y.get(f)) <= 0);
                        case 2 -> boolNode(f -> compareDoubles(x.get(f), y.get(f)) > 0);
                        default -> boolNode(f -> compareDoubles(x.get(f), y.get(f)) >= 0);
                    };
                }
            case "int64_double":
                {
                    Int x = expect(a, Kind.INT).integer();
                    Real y = expect(b, Kind.DOUBLE).real();
                    Int cmp = f -> -compareDoubleInt(y.get(f), x.get(f));
                    return ordered(op, cmp);
                }
            case "double_int64":
                {
                    Real x = expect(a, Kind.DOUBLE).real();
                    Int y = expect(b, Kind.INT).integer();
                    Int cmp = f -> compareDoubleInt(x.get(f), y.get(f));
                    return ordered(op, cmp);
                }
            case "string":
                {
                    Text x = expect(a, Kind.STRING).text();
                    Text y = expect(b, Kind.STRING).text();
                    return ordered(op, f -> x.get(f).compareTo(y.get(f)));
                }
            case "timestamp":
            case "duration":
                {
                    Kind kind = operands.equals("timestamp") ? Kind.TIMESTAMP : Kind.DURATION;
                    Nanos x = expect(a, kind).nanos();
                    Nanos y = expect(b, kind).nanos();
                    return switch (op) {
                        case 0 -> boolNode(f -> x.get(f) < y.get(f));
                        case 1 -> boolNode(f -> x.get(f) <= y.get(f));
                        case 2 -> boolNode(f -> x.get(f) > y.get(f));
                        default -> boolNode(f -> x.get(f) >= y.get(f));
                    };
                }
            default:
                throw new Unsupported("the comparison " + overload);
        }
    }

    private static Node ordered(int op, Int cmp) {
        return switch (op) {
            case 0 -> boolNode(f -> cmp.get(f) < 0);
            case 1 -> boolNode(f -> cmp.get(f) <= 0);
            case 2 -> boolNode(f -> cmp.get(f) > 0);
            default -> boolNode(f -> cmp.get(f) >= 0);
        };
    }

    /** IEEE order of two doubles; with a NaN the interpreter decides. */
    static int compareDoubles(double x, double y) {
        if (x < y) {
            return -1;
        }
        if (x > y) {
            return 1;
        }
        if (x == y) {
            return 0;
        }
        throw CompiledExpr.NEEDS_INTERPRETER;
    }

    /**
     * CEL's order of a double and an int ({@code ComparisonFunctions.compareDoubleInt}): the int as
     * a double, with {@code Double.compare}, so -0.0 is below 0; with a NaN the interpreter
     * decides.
     */
    static long compareDoubleInt(double d, long l) {
        if (Double.isNaN(d)) {
            throw CompiledExpr.NEEDS_INTERPRETER;
        }
        if (d < (double) Long.MIN_VALUE) {
            return -1;
        }
        if (d > (double) Long.MAX_VALUE) {
            return 1;
        }
        return Double.compare(d, (double) l);
    }

    // ---- arithmetic ----

    private static Node intArithmetic(String overload, Node a, Node b) throws Unsupported {
        Int x = expect(a, Kind.INT).integer();
        Int y = expect(b, Kind.INT).integer();
        Int fn =
                switch (overload) {
                    case "add_int64" -> f -> exact(x.get(f), y.get(f), 0);
                    case "subtract_int64" -> f -> exact(x.get(f), y.get(f), 1);
                    case "multiply_int64" -> f -> exact(x.get(f), y.get(f), 2);
                    case "divide_int64" -> f -> divide(x.get(f), y.get(f), false);
                    default -> f -> divide(x.get(f), y.get(f), true);
                };
        return new Node(Kind.INT, fn, null, null, null);
    }

    private static long exact(long x, long y, int op) {
        try {
            return switch (op) {
                case 0 -> Math.addExact(x, y);
                case 1 -> Math.subtractExact(x, y);
                default -> Math.multiplyExact(x, y);
            };
        } catch (ArithmeticException e) {
            throw CompiledExpr.NEEDS_INTERPRETER;
        }
    }

    private static long divide(long x, long y, boolean modulo) {
        if (y == 0 || (y == -1 && x == Long.MIN_VALUE)) {
            throw CompiledExpr.NEEDS_INTERPRETER;
        }
        return modulo ? x % y : x / y;
    }

    private static Node doubleArithmetic(String overload, Node a, Node b) throws Unsupported {
        Real x = expect(a, Kind.DOUBLE).real();
        Real y = expect(b, Kind.DOUBLE).real();
        Real fn =
                switch (overload) {
                    case "add_double" -> f -> x.get(f) + y.get(f);
                    case "subtract_double" -> f -> x.get(f) - y.get(f);
                    case "multiply_double" -> f -> x.get(f) * y.get(f);
                    default -> f -> x.get(f) / y.get(f);
                };
        return new Node(Kind.DOUBLE, fn, null, null, null);
    }

    private static Node timeArithmetic(String overload, Node a, Node b) throws Unsupported {
        Kind ts = Kind.TIMESTAMP;
        Kind dur = Kind.DURATION;
        Kind[] kinds =
                switch (overload) {
                    case "add_timestamp_duration" -> new Kind[] {ts, dur, ts};
                    case "add_duration_timestamp" -> new Kind[] {dur, ts, ts};
                    case "add_duration_duration" -> new Kind[] {dur, dur, dur};
                    case "subtract_timestamp_timestamp" -> new Kind[] {ts, ts, dur};
                    case "subtract_timestamp_duration" -> new Kind[] {ts, dur, ts};
                    default -> new Kind[] {dur, dur, dur};
                };
        Nanos x = expect(a, kinds[0]).nanos();
        Nanos y = expect(b, kinds[1]).nanos();
        int op = overload.startsWith("subtract") ? 1 : 0;
        return new Node(kinds[2], (Nanos) f -> exact(x.get(f), y.get(f), op), null, null, null);
    }

    // ---- strings ----

    private Node matches(List<CelExpr> operands) throws Unsupported {
        Text s = expect(node(operands.get(0)), Kind.STRING).text();
        Node pattern = node(operands.get(1));
        if (!(pattern.constant() instanceof String regex)) {
            throw new Unsupported("matches() with a pattern that is not a literal");
        }
        RegexMatcher matcher;
        try {
            matcher = new RegexMatcher(regex, options.maxRegexProgramSize());
        } catch (RuntimeException e) {
            throw new Unsupported("a pattern RE2 refuses: " + regex);
        }
        return boolNode(f -> matcher.find(s.get(f)));
    }

    /** The CEL string extension's trim: Unicode White_Space at both ends, by code point. */
    static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end) {
            int cp = s.codePointAt(start);
            if (!isWhitespace(cp)) {
                break;
            }
            start += Character.charCount(cp);
        }
        while (end > start) {
            int cp = s.codePointBefore(end);
            if (!isWhitespace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(start, end);
    }

    private static boolean isWhitespace(int cp) {
        return (cp >= 0x0009 && cp <= 0x000D)
                || cp == 0x0020
                || cp == 0x0085
                || cp == 0x00A0
                || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028
                || cp == 0x2029
                || cp == 0x202F
                || cp == 0x205F
                || cp == 0x3000;
    }

    /** timestamp('...') and duration('...') of a literal: evaluated once, by CEL itself. */
    private Node fold(CelExpr e, List<CelExpr> operands) throws Unsupported {
        if (operands.size() != 1 || operands.get(0).getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
            throw new Unsupported("timestamp() or duration() of anything but a literal");
        }
        CelAbstractSyntaxTree sub =
                CelAbstractSyntaxTree.newCheckedAst(
                        e, ast.getSource(), ast.getReferenceMap(), ast.getTypeMap());
        Object value;
        try {
            value = cel.createProgram(sub).eval(Map.of());
        } catch (CelEvaluationException | RuntimeException ex) {
            throw new Unsupported("a literal CEL cannot convert: " + ex.getMessage());
        }
        long nanos;
        Kind kind;
        try {
            if (value instanceof Instant i) {
                nanos = toNanos(i.getEpochSecond(), i.getNano());
                kind = Kind.TIMESTAMP;
            } else if (value instanceof com.google.protobuf.Timestamp t) {
                nanos = toNanos(t.getSeconds(), t.getNanos());
                kind = Kind.TIMESTAMP;
            } else if (value instanceof Duration d) {
                nanos = toNanos(d.getSeconds(), d.getNano());
                kind = Kind.DURATION;
            } else if (value instanceof com.google.protobuf.Duration d) {
                nanos = toNanos(d.getSeconds(), d.getNanos());
                kind = Kind.DURATION;
            } else {
                throw new Unsupported("a literal of " + value.getClass().getSimpleName());
            }
        } catch (ArithmeticException ex) {
            throw new Unsupported("a time literal beyond 292 years from 1970");
        }
        long v = nanos;
        return new Node(kind, (Nanos) f -> v, null, null, v);
    }

    // ---- comprehensions ----

    /** all() and exists() as the standard macros expand them; other comprehensions are refused. */
    private Node comprehension(CelExpr e) throws Unsupported {
        CelExpr.CelComprehension c = e.comprehension();
        String accu = c.accuVar();
        if (!c.iterVar2().isEmpty()
                || c.accuInit().getKind() != CelExpr.ExprKind.Kind.CONSTANT
                || c.accuInit().constant().getKind() != CelConstant.Kind.BOOLEAN_VALUE
                || !isIdent(c.result(), accu)) {
            throw new Unsupported("comprehensions other than all() and exists()");
        }
        boolean all = c.accuInit().constant().booleanValue();
        CelExpr step = c.loopStep();
        String stepFunction = all ? "_&&_" : "_||_";
        if (step.getKind() != CelExpr.ExprKind.Kind.CALL
                || !step.call().function().equals(stepFunction)
                || step.call().args().size() != 2
                || !isIdent(step.call().args().get(0), accu)
                || !isLoopCondition(c.loopCondition(), accu, all)
                || mentions(step.call().args().get(1), accu)) {
            throw new Unsupported("comprehensions other than all() and exists()");
        }
        Node range = node(c.iterRange());
        if (range.kind() != Kind.LIST && range.kind() != Kind.MAP) {
            throw new Unsupported("iterating over " + range.kind());
        }
        Raw items = range.collection();
        int slot = slots++;
        maxSlots = Math.max(maxSlots, slots);
        slotSchemas.put(slot, range.elementSchema());
        Integer shadowed = scope.put(c.iterVar(), slot);
        Bool predicate;
        try {
            predicate = bool(step.call().args().get(1));
        } finally {
            if (shadowed == null) {
                scope.remove(c.iterVar());
            } else {
                scope.put(c.iterVar(), shadowed);
            }
        }
        Bool loop =
                f -> {
                    Object collection = items.get(f);
                    Collection<?> elements =
                            collection instanceof Map<?, ?> map
                                    ? map.keySet()
                                    : (Collection<?>) collection;
                    f.reserveIterations(elements.size());
                    boolean undecided = false;
                    for (Object element : elements) {
                        f.variables[slot] = element;
                        try {
                            if (predicate.test(f) != all) {
                                return !all;
                            }
                        } catch (CompiledExpr.NeedsInterpreter ex) {
                            // An error counts only if no element decides the result.
                            undecided = true;
                        }
                    }
                    if (undecided) {
                        throw CompiledExpr.NEEDS_INTERPRETER;
                    }
                    return all;
                };
        return boolNode(loop);
    }

    private static boolean isIdent(CelExpr e, String name) {
        return e.getKind() == CelExpr.ExprKind.Kind.IDENT && e.ident().name().equals(name);
    }

    private static boolean isLoopCondition(CelExpr e, String accu, boolean all) {
        if (e.getKind() != CelExpr.ExprKind.Kind.CALL
                || !e.call().function().equals("@not_strictly_false")
                || e.call().args().size() != 1) {
            return false;
        }
        CelExpr arg = e.call().args().get(0);
        if (all) {
            return isIdent(arg, accu);
        }
        return arg.getKind() == CelExpr.ExprKind.Kind.CALL
                && arg.call().function().equals("!_")
                && arg.call().args().size() == 1
                && isIdent(arg.call().args().get(0), accu);
    }

    private boolean mentions(CelExpr e, String name) {
        return CelNavigableAst.fromAst(ast)
                .getRoot()
                .allNodes()
                .filter(n -> n.id() == e.id())
                .findFirst()
                .map(n -> n.allNodes().anyMatch(d -> isIdent(d.expr(), name)))
                .orElse(true);
    }
}
