package dev.substrate.operators.quality;

import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelBuilder;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.NullableType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * The CEL environment of one record schema: every field is a variable of its own name, {@code
 * record} is the whole record (for {@code has(record.field)}), {@code now} is the processing time
 * and {@code clock_skew} the rule file's tolerated clock skew.
 */
final class RuleCompiler {

    static final String RECORD = "record";
    static final String NOW = "now";
    static final String CLOCK_SKEW = "clock_skew";

    /** CEL's reserved words cannot be variable names; such fields are reachable as record.x. */
    private static final Set<String> CEL_RESERVED =
            Set.of(
                    "as",
                    "break",
                    "const",
                    "continue",
                    "else",
                    "false",
                    "for",
                    "function",
                    "if",
                    "import",
                    "in",
                    "let",
                    "loop",
                    "package",
                    "namespace",
                    "null",
                    "return",
                    "true",
                    "var",
                    "void",
                    "while");

    private static final int MAX_COMPREHENSION_ITERATIONS = 10_000;

    private final Schema schema;
    private final Map<String, CelType> fieldTypes = new LinkedHashMap<>();
    private final Cel cel;
    private final CelOptions options;

    RuleCompiler(Schema schema) {
        this.schema = schema;
        for (Schema.Field field : schema.getFields()) {
            fieldTypes.put(field.name(), AvroCel.typeOf(field.schema()));
        }
        StructType recordType =
                StructType.create(
                        schema.getFullName(),
                        ImmutableSet.copyOf(fieldTypes.keySet()),
                        name ->
                                Optional.ofNullable(fieldTypes.get(name))
                                        .map(RuleCompiler::asStructField));
        this.options =
                CelOptions.current()
                        // As the CEL spec says: matches() finds, ^ and $ anchor.
                        .enableRegexPartialMatch(true)
                        // Lets rules write power_draw_w <= 1500 for a double.
                        .enableHeterogeneousNumericComparisons(true)
                        .comprehensionMaxIterations(MAX_COMPREHENSION_ITERATIONS)
                        .build();
        CelBuilder builder =
                CelFactory.standardCelBuilder()
                        .setOptions(options)
                        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                        .addCompilerLibraries(CelExtensions.strings())
                        .addRuntimeLibraries(CelExtensions.strings())
                        .setTypeProvider(new SingleTypeProvider(recordType))
                        .addVar(RECORD, recordType)
                        .addVar(NOW, SimpleType.TIMESTAMP)
                        .addVar(CLOCK_SKEW, SimpleType.DURATION);
        fieldTypes.forEach(
                (name, type) -> {
                    if (!isReservedVariable(name)) {
                        builder.addVar(name, type);
                    }
                });
        this.cel = builder.build();
    }

    /**
     * The type of a field selected from {@code record}: the checker models struct fields as proto
     * fields, which have wrapper types for nullable primitives but none for timestamps.
     */
    private static CelType asStructField(CelType type) {
        if (type instanceof NullableType nullable
                && (nullable.targetType() == SimpleType.TIMESTAMP
                        || nullable.targetType() == SimpleType.DURATION)) {
            return SimpleType.DYN;
        }
        return type;
    }

    /** True for names that are not variables of their own: CEL words and the three built-ins. */
    static boolean isReservedVariable(String fieldName) {
        return CEL_RESERVED.contains(fieldName)
                || RECORD.equals(fieldName)
                || NOW.equals(fieldName)
                || CLOCK_SKEW.equals(fieldName);
    }

    Schema schema() {
        return schema;
    }

    Cel cel() {
        return cel;
    }

    /** The options the programs run with (regex size limit, iteration budget). */
    CelOptions options() {
        return options;
    }

    /** Parses and type-checks an expression; errors are in the result, not thrown. */
    CelValidationResult compile(String expression, String description) {
        return cel.compile(expression, description);
    }

    /** The record's fields an expression reads, in order of first appearance. */
    Set<String> referencedFields(CelAbstractSyntaxTree ast) {
        Set<String> fields = new LinkedHashSet<>();
        CelNavigableAst.fromAst(ast)
                .getRoot()
                .allNodes()
                .forEach(
                        node -> {
                            CelExpr expr = node.expr();
                            switch (expr.getKind()) {
                                case IDENT -> {
                                    String name = expr.ident().name();
                                    if (fieldTypes.containsKey(name)) {
                                        fields.add(name);
                                    }
                                }
                                case SELECT -> {
                                    CelExpr operand = expr.select().operand();
                                    if (operand.getKind() == CelExpr.ExprKind.Kind.IDENT
                                            && RECORD.equals(operand.ident().name())) {
                                        fields.add(expr.select().field());
                                    }
                                }
                                default -> {}
                            }
                        });
        return fields;
    }

    /** Makes the record's struct type known to the checker, so record.x is checked by name. */
    private record SingleTypeProvider(StructType type) implements CelTypeProvider {
        @Override
        public ImmutableCollection<CelType> types() {
            return ImmutableList.of(type);
        }

        @Override
        public Optional<CelType> findType(String typeName) {
            return type.name().equals(typeName) ? Optional.of(type) : Optional.empty();
        }
    }
}
