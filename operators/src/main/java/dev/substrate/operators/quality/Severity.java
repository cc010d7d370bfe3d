package dev.substrate.operators.quality;

/** How much a failed quality rule matters, for people reading the report and for alerting. */
public enum Severity {
    /** Worth knowing, nothing is wrong with the data. */
    INFO,
    /** Suspicious: the record is plausible but unusual. */
    WARNING,
    /** The record is wrong: a value no device or system can produce. */
    ERROR,
    /** The record is wrong in a way that makes downstream decisions unsafe. */
    CRITICAL
}
