package dev.substrate.operators.quality;

/**
 * The running counts of one source and rule in one report window: the accumulator of {@link
 * QualityReportAggregator}. A Flink POJO, so window state needs no Kryo.
 */
public class QualityCounts {

    private String source;
    private String rule;
    private Severity severity;
    private Action action;
    private long passed;
    private long failed;
    private long tagged;
    private long deadLettered;

    /** For Flink's POJO serializer. */
    public QualityCounts() {}

    /** Adds one outcome. */
    public QualityCounts add(QualityOutcome outcome) {
        if (source == null) {
            source = outcome.getSource();
            rule = outcome.getRule();
            severity = outcome.getSeverity();
            action = outcome.getAction();
        }
        long n = outcome.getCount();
        switch (outcome.getOutcome()) {
            case PASSED -> passed += n;
            case FAILED -> failed += n;
            case TAGGED -> {
                failed += n;
                tagged += n;
            }
            case DEAD_LETTERED -> {
                failed += n;
                deadLettered += n;
            }
        }
        return this;
    }

    /** Adds another accumulator of the same source and rule (for merging windows). */
    public QualityCounts merge(QualityCounts other) {
        if (source == null) {
            source = other.source;
            rule = other.rule;
            severity = other.severity;
            action = other.action;
        }
        passed += other.passed;
        failed += other.failed;
        tagged += other.tagged;
        deadLettered += other.deadLettered;
        return this;
    }

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

    public long getPassed() {
        return passed;
    }

    public void setPassed(long passed) {
        this.passed = passed;
    }

    public long getFailed() {
        return failed;
    }

    public void setFailed(long failed) {
        this.failed = failed;
    }

    public long getTagged() {
        return tagged;
    }

    public void setTagged(long tagged) {
        this.tagged = tagged;
    }

    public long getDeadLettered() {
        return deadLettered;
    }

    public void setDeadLettered(long deadLettered) {
        this.deadLettered = deadLettered;
    }
}
