package dev.substrate.operators.quality;

import dev.substrate.events.QualityReport;
import dev.substrate.operators.windows.WindowPartial;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The counts of one source's rules in one report window: records evaluated, and per rule how many
 * failed, were tagged or were dead-lettered. The accumulator of the quality report, first per input
 * subtask (a partial) and then per window. A Flink POJO (arrays of basic types), so no Kryo.
 *
 * <p>It carries the rules' names, severities and actions, so that partials of different sources
 * merge and turn into {@link QualityReport} rows without a lookup.
 */
public class QualityCounts implements WindowPartial {

    public String source;
    public long windowStart;
    public long windowEnd;

    /** Rule names, severities and actions, in the order of the verdicts' bits. */
    public String[] rules;

    public String[] severities;
    public String[] actions;

    /** Records evaluated: every rule saw each of them. */
    public long evaluated;

    public long[] failed;
    public long[] tagged;
    public long[] deadLettered;

    /** Empty, taking its rules from the first counts merged in (for Flink and merging). */
    public QualityCounts() {}

    /** Empty counts of {@code rules} of {@code source}. */
    public static QualityCounts of(String source, List<Rule> rules) {
        QualityCounts counts = new QualityCounts();
        counts.source = source;
        int n = rules.size();
        counts.rules = new String[n];
        counts.severities = new String[n];
        counts.actions = new String[n];
        for (int i = 0; i < n; i++) {
            counts.rules[i] = rules.get(i).name();
            counts.severities[i] = rules.get(i).severity().name();
            counts.actions[i] = rules.get(i).action().name();
        }
        counts.allocate(n);
        return counts;
    }

    private void allocate(int n) {
        failed = new long[n];
        tagged = new long[n];
        deadLettered = new long[n];
    }

    /**
     * Counts one record's verdict.
     *
     * @param failedRules bit {@code i} set when rule {@code i} failed
     * @param deadLetterRules the bits of the DLQ rules
     * @param tagRules the bits of the TAG rules
     */
    public void count(long failedRules, long deadLetterRules, long tagRules) {
        evaluated++;
        if (failedRules == 0) {
            return;
        }
        // A TAG rule tags only records that are kept, i.e. that no DLQ rule refused.
        boolean refused = (failedRules & deadLetterRules) != 0;
        long rest = failedRules;
        while (rest != 0) {
            int i = Long.numberOfTrailingZeros(rest);
            rest &= rest - 1;
            failed[i]++;
            long bit = 1L << i;
            if ((deadLetterRules & bit) != 0) {
                deadLettered[i]++;
            } else if ((tagRules & bit) != 0 && !refused) {
                tagged[i]++;
            }
        }
    }

    /** Adds {@code other}'s counts (same source and rules); takes its rules when empty. */
    public QualityCounts merge(QualityCounts other) {
        if (rules == null) {
            source = other.source;
            rules = other.rules;
            severities = other.severities;
            actions = other.actions;
            allocate(rules.length);
        } else if (!Arrays.equals(rules, other.rules) || !source.equals(other.source)) {
            throw new IllegalStateException(
                    "Cannot merge the counts of "
                            + other.source
                            + " "
                            + Arrays.toString(other.rules)
                            + " into those of "
                            + source
                            + " "
                            + Arrays.toString(rules));
        }
        evaluated += other.evaluated;
        for (int i = 0; i < rules.length; i++) {
            failed[i] += other.failed[i];
            tagged[i] += other.tagged[i];
            deadLettered[i] += other.deadLettered[i];
        }
        return this;
    }

    /** A copy sharing nothing mutable with this one. */
    public QualityCounts copy() {
        QualityCounts copy = new QualityCounts().merge(this);
        copy.windowStart = windowStart;
        copy.windowEnd = windowEnd;
        return copy;
    }

    /** What these counts have that {@code earlier} counts of the same window did not. */
    public QualityCounts minus(QualityCounts earlier) {
        QualityCounts delta = copy();
        delta.evaluated -= earlier.evaluated;
        for (int i = 0; i < rules.length; i++) {
            delta.failed[i] -= earlier.failed[i];
            delta.tagged[i] -= earlier.tagged[i];
            delta.deadLettered[i] -= earlier.deadLettered[i];
        }
        return delta;
    }

    @Override
    public void stamp(String key, long start, long end) {
        windowStart = start;
        windowEnd = end;
    }

    /** One report row per rule, for window {@code [start, end)}, with the given revision. */
    public void toRows(long start, long end, int revision, Consumer<QualityReport> out) {
        Instant from = Instant.ofEpochMilli(start);
        Instant to = Instant.ofEpochMilli(end);
        for (int i = 0; i < rules.length; i++) {
            out.accept(
                    QualityReport.newBuilder()
                            .setWindowStart(from)
                            .setWindowEnd(to)
                            .setSource(source)
                            .setRule(rules[i])
                            .setSeverity(severities[i])
                            .setAction(actions[i])
                            .setEvaluated(evaluated)
                            .setPassed(evaluated - failed[i])
                            .setFailed(failed[i])
                            .setTagged(tagged[i])
                            .setDeadLettered(deadLettered[i])
                            .setRevision(revision)
                            .build());
        }
    }

    @Override
    public String toString() {
        return source
                + " ["
                + windowStart
                + ", "
                + windowEnd
                + ") evaluated "
                + evaluated
                + " failed "
                + Arrays.toString(failed);
    }
}
