package dev.substrate.operators.scheduling;

import dev.substrate.events.ScoreParts;
import dev.substrate.operators.scheduling.state.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The words of decision reasons: GPU lists, node lists, durations, score parts. */
final class DecisionText {

    private DecisionText() {}

    /** "use1-h100-a-n002 GPUs 0-3" or "n002 GPUs 0-7, n003 GPUs 0-7 in use1-h100-a". */
    static String targets(List<Target> targets) {
        if (targets.isEmpty()) {
            return "nothing";
        }
        List<String> parts = new ArrayList<>();
        for (Target t : targets) {
            parts.add(t.cluster + "/" + t.node + " GPUs " + indices(t.gpuIndices));
        }
        return String.join(", ", parts);
    }

    /** "0-3,6" for 0, 1, 2, 3, 6 (the indices sorted). */
    static String indices(int[] sorted) {
        StringBuilder s = new StringBuilder();
        int i = 0;
        while (i < sorted.length) {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1) {
                j++;
            }
            if (s.length() > 0) {
                s.append(',');
            }
            s.append(sorted[i]);
            if (j > i) {
                s.append('-').append(sorted[j]);
            }
            i = j + 1;
        }
        return s.toString();
    }

    /** "4m 10s", "2h 5m", "750ms". */
    static String duration(long millis) {
        Duration d = Duration.ofMillis(Math.max(0, millis));
        if (d.toMillis() < 1000) {
            return d.toMillis() + "ms";
        }
        long h = d.toHours();
        long m = d.toMinutesPart();
        long s = d.toSecondsPart();
        if (h > 0) {
            return h + "h" + (m > 0 ? " " + m + "m" : "");
        }
        if (m > 0) {
            return m + "m" + (s > 0 ? " " + s + "s" : "");
        }
        return s + "s";
    }

    static String time(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    /** "score 71.2: packing 30.0, utilization 19.5, power 7.9, warm 15.0, region -20.0". */
    static String score(double score, ScoreParts p) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "score %.1f: ", score));
        s.append(String.format(Locale.ROOT, "packing %.1f", p.getPacking()));
        s.append(String.format(Locale.ROOT, ", utilization %.1f", p.getUtilization()));
        s.append(String.format(Locale.ROOT, ", power %.1f", p.getPower()));
        if (p.getWarm() != 0) {
            s.append(String.format(Locale.ROOT, ", warm replica %.1f", p.getWarm()));
        }
        if (p.getHealth() != 0) {
            s.append(String.format(Locale.ROOT, ", WATCH node %.1f", p.getHealth()));
        }
        if (p.getRegion() != 0) {
            s.append(String.format(Locale.ROOT, ", region distance %.1f", p.getRegion()));
        }
        return s.toString();
    }

    /** "1 GPU", "8 GPUs". */
    static String gpus(int n, String type) {
        return n + " " + type + (n == 1 ? " GPU" : " GPUs");
    }
}
