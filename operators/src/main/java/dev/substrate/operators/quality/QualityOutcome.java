package dev.substrate.operators.quality;

import java.util.Objects;

/**
 * What one quality rule said about one record (or {@code count} records), emitted by {@link
 * QualityGate} on {@link QualityGate#OUTCOMES} and summed into the quality report. A Flink POJO.
 */
public class QualityOutcome {

    /** What happened to the record because of the rule. */
    public enum Result {
        /** The rule held. */
        PASSED,
        /**
         * The rule failed and the record went on unchanged: a NONE rule, or a TAG rule on a record
         * another rule sent to dead letters.
         */
        FAILED,
        /** The rule failed and its name was added to the record's quality tags. */
        TAGGED,
        /** The rule failed and the record went to dead letters. */
        DEAD_LETTERED;

        /** Whether the rule failed. */
        public boolean failed() {
            return this != PASSED;
        }
    }

    private String source;
    private String rule;
    private Severity severity;
    private Action action;
    private Result outcome;
    private long count;
    private long eventTime;

    /** For Flink's POJO serializer. */
    public QualityOutcome() {}

    public QualityOutcome(
            String source,
            String rule,
            Severity severity,
            Action action,
            Result outcome,
            long count,
            long eventTime) {
        this.source = source;
        this.rule = rule;
        this.severity = severity;
        this.action = action;
        this.outcome = outcome;
        this.count = count;
        this.eventTime = eventTime;
    }

    /** Where the records came from (the gate's source name, usually the topic). */
    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public String getRule() {
        return rule;
    }

    public void setRule(String rule) {
        this.rule = rule;
    }

    public Severity getSeverity() {
        return severity;
    }

    public void setSeverity(Severity severity) {
        this.severity = severity;
    }

    public Action getAction() {
        return action;
    }

    public void setAction(Action action) {
        this.action = action;
    }

    public Result getOutcome() {
        return outcome;
    }

    public void setOutcome(Result outcome) {
        this.outcome = outcome;
    }

    /** How many records this outcome stands for (1 from the gate). */
    public long getCount() {
        return count;
    }

    public void setCount(long count) {
        this.count = count;
    }

    /** The record's event time, epoch milliseconds. */
    public long getEventTime() {
        return eventTime;
    }

    public void setEventTime(long eventTime) {
        this.eventTime = eventTime;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QualityOutcome that
                && count == that.count
                && eventTime == that.eventTime
                && Objects.equals(source, that.source)
                && Objects.equals(rule, that.rule)
                && severity == that.severity
                && action == that.action
                && outcome == that.outcome;
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, rule, severity, action, outcome, count, eventTime);
    }

    @Override
    public String toString() {
        return source + "/" + rule + " " + outcome + " x" + count + " @" + eventTime;
    }
}
