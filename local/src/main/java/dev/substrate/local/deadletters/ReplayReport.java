package dev.substrate.local.deadletters;

import dev.substrate.events.DeadLetter;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a replay did, per reason and rule: how many dead letters it selected (one per source record,
 * however often the at-least-once dead-letter topic holds it), replayed, found replayed already,
 * and could not replay (written before dead letters kept their Kafka record).
 */
public final class ReplayReport {

    private final boolean dryRun;
    private final Map<String, long[]> counts = new TreeMap<>();
    private long read;
    private long unreadable;

    private static final int SELECTED = 0;
    private static final int REPLAYED = 1;
    private static final int ALREADY = 2;
    private static final int NOT_REPLAYABLE = 3;

    ReplayReport(boolean dryRun) {
        this.dryRun = dryRun;
    }

    void read() {
        read++;
    }

    void unreadable() {
        unreadable++;
    }

    void selected(DeadLetter deadLetter) {
        count(deadLetter, SELECTED);
    }

    void replayed(DeadLetter deadLetter) {
        count(deadLetter, REPLAYED);
    }

    void alreadyReplayed(DeadLetter deadLetter) {
        count(deadLetter, ALREADY);
    }

    void notReplayable(DeadLetter deadLetter) {
        count(deadLetter, NOT_REPLAYABLE);
    }

    private void count(DeadLetter deadLetter, int what) {
        String key =
                deadLetter.getReason()
                        + (deadLetter.getRule() == null ? "" : " / " + deadLetter.getRule());
        counts.computeIfAbsent(key, k -> new long[4])[what]++;
    }

    /** Whether this was a dry run: {@link #replayed()} then counts what would have been. */
    public boolean dryRun() {
        return dryRun;
    }

    /** Dead-letter records read from the topic. */
    public long readCount() {
        return read;
    }

    /** Dead-letter records that did not decode as a DeadLetter (skipped). */
    public long unreadableCount() {
        return unreadable;
    }

    public long selected() {
        return total(SELECTED);
    }

    /** Records produced to their source topics (or, in a dry run, that would have been). */
    public long replayed() {
        return total(REPLAYED);
    }

    /** Selected dead letters whose replay the source topic already holds. */
    public long alreadyReplayed() {
        return total(ALREADY);
    }

    public long notReplayable() {
        return total(NOT_REPLAYABLE);
    }

    private long total(int what) {
        long sum = 0;
        for (long[] c : counts.values()) {
            sum += c[what];
        }
        return sum;
    }

    /** Prints the table per reason and rule, and a closing line. */
    public void print(PrintWriter out) {
        out.printf(
                "Read %,d dead letters%s; selected %,d.%n",
                read,
                unreadable == 0 ? "" : String.format(" (%,d unreadable, skipped)", unreadable),
                selected());
        if (!counts.isEmpty()) {
            out.printf(
                    "  %-52s %9s %12s %16s %15s%n",
                    "reason / rule",
                    "selected",
                    dryRun ? "would replay" : "replayed",
                    "already replayed",
                    "not replayable");
            counts.forEach(
                    (key, c) ->
                            out.printf(
                                    "  %-52s %,9d %,12d %,16d %,15d%n",
                                    key, c[SELECTED], c[REPLAYED], c[ALREADY], c[NOT_REPLAYABLE]));
        }
        if (notReplayable() > 0) {
            out.printf(
                    "%,d dead letters carry no Kafka coordinates (written by a quality rule before"
                            + " dead letters kept their record): they cannot be replayed.%n",
                    notReplayable());
        }
        if (dryRun) {
            out.printf(
                    "Dry run: %,d records would be replayed; nothing was produced.%n", replayed());
        } else {
            out.printf(
                    "Replayed %,d records to their source topics (header substrate.replay-of names"
                            + " the record each replays).%n",
                    replayed());
        }
        out.flush();
    }
}
