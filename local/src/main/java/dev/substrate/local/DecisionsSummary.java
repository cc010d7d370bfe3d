package dev.substrate.local;

import dev.substrate.events.SchedulingAction;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.sinks.lake.LakeReader;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.catalog.Catalog;

/**
 * The decisions section of a local run's summary, read from the {@code scheduling_decisions} table
 * over all runs: decisions per action, how many requests were decided and where each stands now
 * (its latest decision), and the decision latency (from the request's arrival in the operator to
 * the decision leaving it).
 *
 * @param perAction decisions per action, every action listed (zero when none)
 * @param requests distinct requests with at least one decision
 * @param latestPerAction requests per the action of their latest decision (where they stand)
 * @param latencyP50Ms median processing latency of the decisions, in milliseconds
 * @param latencyP99Ms 99th percentile of the same
 */
public record DecisionsSummary(
        Map<SchedulingAction, Long> perAction,
        long requests,
        Map<SchedulingAction, Long> latestPerAction,
        long latencyP50Ms,
        long latencyP99Ms) {

    private static final List<String> COLUMNS =
            List.of("request_id", "sequence", "action", "processing_latency_ms");

    /** Reads the decisions table; a lake without it has no decisions. */
    static DecisionsSummary read(Catalog catalog) {
        Map<SchedulingAction, Long> perAction = new EnumMap<>(SchedulingAction.class);
        for (SchedulingAction action : SchedulingAction.values()) {
            perAction.put(action, 0L);
        }
        // request id -> (sequence, action) of its latest decision
        Map<String, Object[]> latest = new TreeMap<>();
        List<Long> latencies = new ArrayList<>();
        LakeReader.forEachRow(
                catalog,
                SchedulingStage.DECISIONS_TABLE,
                COLUMNS,
                row -> {
                    SchedulingAction action =
                            SchedulingAction.valueOf(String.valueOf(row.getField("action")));
                    perAction.merge(action, 1L, Long::sum);
                    int sequence = (Integer) row.getField("sequence");
                    latest.merge(
                            (String) row.getField("request_id"),
                            new Object[] {sequence, action},
                            (a, b) -> (Integer) a[0] >= (Integer) b[0] ? a : b);
                    latencies.add((Long) row.getField("processing_latency_ms"));
                });
        Map<SchedulingAction, Long> latestPerAction = new EnumMap<>(SchedulingAction.class);
        latest.values().forEach(l -> latestPerAction.merge((SchedulingAction) l[1], 1L, Long::sum));
        Collections.sort(latencies);
        return new DecisionsSummary(
                perAction,
                latest.size(),
                latestPerAction,
                percentile(latencies, 0.50),
                percentile(latencies, 0.99));
    }

    private static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** All decisions together. */
    public long total() {
        return perAction.values().stream().mapToLong(Long::longValue).sum();
    }

    void print(PrintStream out) {
        out.println("Scheduling decisions (scheduling_decisions, all runs):");
        if (total() == 0) {
            out.println("  none yet (decisions wait for the watermark to pass their event time)");
            return;
        }
        out.printf(
                "  %,d decisions about %,d requests; latency p50 %,d ms, p99 %,d ms%n",
                total(), requests, latencyP50Ms, latencyP99Ms);
        out.printf("  %-12s %12s %22s%n", "action", "decisions", "requests standing there");
        perAction.forEach(
                (action, count) ->
                        out.printf(
                                "  %-12s %,12d %,22d%n",
                                action, count, latestPerAction.getOrDefault(action, 0L)));
        out.println("  Ask why a request stands where it does: substrate why <request-id>");
    }
}
