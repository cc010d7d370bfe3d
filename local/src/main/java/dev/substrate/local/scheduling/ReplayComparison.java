package dev.substrate.local.scheduling;

import dev.substrate.events.SchedulingDecision;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The outcome of {@code substrate replay}: the decisions recorded in an interval and those the
 * replay made, their {@link DecisionStats} side by side, and whether the replay took exactly the
 * recorded decisions (same request, order, action, time, targets and reason).
 *
 * @param from start of the interval
 * @param to end of the interval
 * @param configSource the quota file replayed under
 * @param recorded the decisions the job recorded in the interval
 * @param replayed the decisions the replay made in the interval
 * @param requestEvents request events replayed
 */
public record ReplayComparison(
        Instant from,
        Instant to,
        String configSource,
        DecisionStats recorded,
        DecisionStats replayed,
        int identical,
        List<String> differences,
        int requestEvents) {

    private static final int DIFFERENCES_SHOWN = 10;

    static ReplayComparison of(
            Instant from,
            Instant to,
            String configSource,
            List<SchedulingDecision> recorded,
            List<SchedulingDecision> replayed,
            int requestEvents) {
        Map<String, String> before = byId(recorded);
        Map<String, String> after = byId(replayed);
        int identical = 0;
        List<String> differences = new ArrayList<>();
        TreeSet<String> ids = new TreeSet<>(before.keySet());
        ids.addAll(after.keySet());
        for (String id : ids) {
            String was = before.get(id);
            String now = after.get(id);
            if (was != null && was.equals(now)) {
                identical++;
            } else {
                differences.add(
                        id
                                + ": recorded "
                                + (was == null ? "nothing" : was)
                                + " | replayed "
                                + (now == null ? "nothing" : now));
            }
        }
        return new ReplayComparison(
                from,
                to,
                configSource,
                DecisionStats.of(recorded, to),
                DecisionStats.of(replayed, to),
                identical,
                List.copyOf(differences),
                requestEvents);
    }

    /** Decision id (request id and sequence) to what must not differ between runs. */
    private static Map<String, String> byId(List<SchedulingDecision> decisions) {
        Map<String, String> out = new TreeMap<>();
        decisions.stream()
                .sorted(Comparator.comparing(SchedulingDecision::getDecisionId))
                .forEach(
                        d ->
                                out.put(
                                        d.getDecisionId(),
                                        d.getAction()
                                                + " at "
                                                + d.getDecidedAt()
                                                + " on "
                                                + d.getTargets()
                                                + ": "
                                                + d.getReason()));
        return out;
    }

    /** Whether the replay took exactly the recorded decisions. */
    public boolean reproduced() {
        return differences.isEmpty() && identical == recorded.decisions();
    }

    public void print(PrintWriter out) {
        out.printf(
                "Replayed %,d request events from %s to %s under %s.%n%n",
                requestEvents, from, to, configSource);
        String row = "  %-28s %16s %16s%n";
        out.printf(row, "", "recorded", "replayed");
        line(out, row, "decisions", recorded.decisions(), replayed.decisions());
        line(out, row, "requests placed", recorded.placed(), replayed.placed());
        line(out, row, "requests queued", recorded.queued(), replayed.queued());
        line(out, row, "rejected", recorded.rejected(), replayed.rejected());
        line(out, row, "preempted", recorded.preempted(), replayed.preempted());
        line(out, row, "rescheduled", recorded.rescheduled(), replayed.rescheduled());
        out.printf(
                row,
                "queue time, mean",
                duration(recorded.meanQueueTime()),
                duration(replayed.meanQueueTime()));
        out.printf(
                row,
                "queue time, p95",
                duration(recorded.p95QueueTime()),
                duration(replayed.p95QueueTime()));
        out.println("  GPU-hours allocated per tenant:");
        TreeSet<String> tenants = new TreeSet<>(recorded.gpuHoursPerTenant().keySet());
        tenants.addAll(replayed.gpuHoursPerTenant().keySet());
        for (String tenant : tenants) {
            out.printf(
                    Locale.ROOT,
                    "    %-26s %16.2f %16.2f%n",
                    tenant,
                    recorded.gpuHoursPerTenant().getOrDefault(tenant, 0.0),
                    replayed.gpuHoursPerTenant().getOrDefault(tenant, 0.0));
        }
        out.println();
        if (reproduced()) {
            out.printf(
                    "The replay took exactly the %,d recorded decisions.%n", recorded.decisions());
            return;
        }
        out.printf(
                "%,d decisions identical, %,d differ (the first %d):%n",
                identical, differences.size(), Math.min(DIFFERENCES_SHOWN, differences.size()));
        differences.stream().limit(DIFFERENCES_SHOWN).forEach(d -> out.println("  " + d));
    }

    private static void line(PrintWriter out, String row, String label, int was, int now) {
        out.printf(row, label, String.format("%,d", was), String.format("%,d", now));
    }

    private static String duration(Duration d) {
        return d.toMillis() < 60_000
                ? String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0)
                : String.format(Locale.ROOT, "%.1f min", d.toMillis() / 60_000.0);
    }
}
