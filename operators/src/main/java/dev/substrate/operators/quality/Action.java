package dev.substrate.operators.quality;

/** What the ingest does with a record that fails a quality rule. */
public enum Action {
    /** The record goes to dead letters, with the rule's name as the reason. */
    DLQ,
    /** The record is kept and the rule's name is added to its {@code quality_tags}. */
    TAG,
    /** The record is kept unchanged; the failure is only counted. */
    NONE
}
