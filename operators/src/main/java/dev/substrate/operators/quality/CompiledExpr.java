package dev.substrate.operators.quality;

/**
 * The node shapes of a rule translated to Java by {@link RuleTranslator}: one functional interface
 * per value kind, so numbers stay primitive and timestamps are epoch nanoseconds.
 *
 * <p>A node that meets anything it cannot decide exactly as CEL would (a null where a value is
 * needed, an overflow, a NaN in a comparison, a regex that runs too long) throws {@link
 * #NEEDS_INTERPRETER}; the evaluator then asks the CEL program for that rule and record, which also
 * yields CEL's own error message. So a translated rule either agrees with CEL or defers to it.
 */
final class CompiledExpr {

    private CompiledExpr() {}

    /** Thrown (never with a stack trace) when a node cannot decide; see the class comment. */
    static final class NeedsInterpreter extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private NeedsInterpreter() {
            super("needs the CEL interpreter", null, false, false);
        }
    }

    static final NeedsInterpreter NEEDS_INTERPRETER = new NeedsInterpreter();

    /** A CEL bool. */
    @FunctionalInterface
    interface Bool {
        boolean test(EvalFrame frame);
    }

    /** A CEL int. */
    @FunctionalInterface
    interface Int {
        long get(EvalFrame frame);
    }

    /** A CEL double. */
    @FunctionalInterface
    interface Real {
        double get(EvalFrame frame);
    }

    /** A CEL string, never null (a null throws {@link #NEEDS_INTERPRETER}). */
    @FunctionalInterface
    interface Text {
        String get(EvalFrame frame);
    }

    /**
     * A CEL timestamp (nanoseconds since the epoch) or duration (nanoseconds); values beyond what a
     * long holds (about 292 years either side) need the interpreter.
     */
    @FunctionalInterface
    interface Nanos {
        long get(EvalFrame frame);
    }

    /** A raw value: an Avro list or map, or a raw field value before conversion. */
    @FunctionalInterface
    interface Raw {
        Object get(EvalFrame frame);
    }
}
