package dev.substrate.operators.quality;

import org.apache.avro.generic.IndexedRecord;

/**
 * The mutable state of one evaluation of translated rules: the record, {@code now}, comprehension
 * variables and the iteration budget. One instance per {@link RuleEvaluator}, reused per record.
 */
final class EvalFrame {

    IndexedRecord record;

    /** {@code now} in epoch nanoseconds; meaningful only when {@link #nowInRange}. */
    long nowNanos;

    boolean nowInRange;

    /** Raw values of comprehension variables, by slot. */
    final Object[] variables;

    private final int maxIterations;
    private int iterations;

    EvalFrame(int variableSlots, int maxIterations) {
        this.variables = new Object[Math.max(0, variableSlots)];
        this.maxIterations = maxIterations;
    }

    void reset(IndexedRecord record, long nowNanos, boolean nowInRange) {
        this.record = record;
        this.nowNanos = nowNanos;
        this.nowInRange = nowInRange;
    }

    /** Called before each rule: CEL's iteration budget is per evaluation of one program. */
    void startRule() {
        iterations = 0;
    }

    /**
     * Reserves {@code count} comprehension iterations; CEL fails an evaluation past its budget, and
     * when exactly it fails depends on its loop order, so any doubt goes to the interpreter.
     */
    void reserveIterations(int count) {
        if (maxIterations >= 0) {
            iterations += count;
            if (iterations > maxIterations || iterations < 0) {
                throw CompiledExpr.NEEDS_INTERPRETER;
            }
        }
    }

    long now() {
        if (!nowInRange) {
            throw CompiledExpr.NEEDS_INTERPRETER;
        }
        return nowNanos;
    }
}
