package dev.substrate.dashboard.feeds;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts per event-time minute and label (a chart of counts over time), for the last {@code
 * minutes} minutes seen: an older minute is forgotten, and a record older than every minute kept is
 * not counted.
 */
final class MinuteCounts {

    private final int minutes;
    private final TreeMap<Long, Map<String, Long>> counts = new TreeMap<>();

    MinuteCounts(int minutes) {
        this.minutes = minutes;
    }

    /**
     * Counts one record of {@code label} at {@code at}; returns the minute's start (epoch ms) and
     * its new count for the label, or null when the minute is older than every minute kept.
     */
    long[] add(Instant at, String label) {
        long minute = Math.floorDiv(at.toEpochMilli(), 60_000L) * 60_000L;
        if (counts.size() >= minutes && minute < counts.firstKey()) {
            return null;
        }
        long count =
                counts.computeIfAbsent(minute, m -> new HashMap<>()).merge(label, 1L, Long::sum);
        while (counts.size() > minutes) {
            counts.pollFirstEntry();
        }
        return new long[] {minute, count};
    }
}
