package dev.substrate.local;

import dev.substrate.jobs.ingest.RuleQualityStep;
import dev.substrate.jobs.policies.PolicyStage;
import dev.substrate.samples.ProducerReport;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.LakeReader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.annotation.Nullable;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;

/**
 * What a local run did, read back from the Iceberg tables after the job stopped: rows per table,
 * dead letters per reason, quality counts per source and rule, whether every produced record is
 * accounted for, and where the data lives.
 *
 * @param qualityPerRule this run's {@code quality_report} rows summed per source and rule, sorted
 *     by source, then most failures first
 * @param qualityComplete whether the job was drained, so every report window was closed and
 *     written; otherwise windows still open are reported by the next run
 * @param produced what this run's sample producer sent, or null when it produced nothing
 * @param audit every record of the input topics, from the first offset, found in the lake
 * @param decisions the scheduler's decisions, all runs
 * @param violationsPerPolicy this run's {@code policy_violations} per policy, most first
 */
public record RunSummary(
        Map<String, Long> rowsPerTable,
        Map<String, Long> rowsAddedPerTable,
        Map<String, Long> deadLettersPerReason,
        List<RuleQuality> qualityPerRule,
        boolean qualityComplete,
        @Nullable ProducerReport produced,
        AuditReport audit,
        Path dataDir,
        Duration wallTime,
        DecisionsSummary decisions,
        List<PolicyViolations> violationsPerPolicy) {

    /**
     * The violations one policy reported this run: incidents (revision 1 rows), the repeats its
     * cool-down suppressed, and the narrative of its first incident in event time.
     */
    public record PolicyViolations(
            String policyId, String severity, long incidents, long suppressed, String example) {}

    /** How the records of one source fared against one rule, summed over report windows. */
    public record RuleQuality(
            String source,
            String rule,
            String severity,
            String action,
            long evaluated,
            long failed,
            long tagged,
            long deadLettered) {

        RuleQuality plus(RuleQuality other) {
            return new RuleQuality(
                    source,
                    rule,
                    severity,
                    action,
                    evaluated + other.evaluated,
                    failed + other.failed,
                    tagged + other.tagged,
                    deadLettered + other.deadLettered);
        }
    }

    static RunSummary read(
            Catalog catalog,
            Map<String, Long> rowsBefore,
            long qualitySnapshotBefore,
            boolean qualityComplete,
            @Nullable ProducerReport produced,
            AuditReport audit,
            Path dataDir,
            Duration wallTime,
            long violationsSnapshotBefore) {
        LakeProgress lake = new LakeProgress(catalog);
        Map<String, Long> rows = lake.rowsPerTable();
        Map<String, Long> added = new TreeMap<>();
        rows.forEach(
                (table, count) -> added.put(table, count - rowsBefore.getOrDefault(table, 0L)));
        Map<String, Long> perReason = new TreeMap<>();
        if (rows.getOrDefault(EventType.DEAD_LETTER.tableName(), 0L) > 0) {
            for (Record row : LakeReader.readAll(catalog, EventType.DEAD_LETTER.tableName())) {
                String reason = String.valueOf(row.getField("reason"));
                Object rule = row.getField("rule");
                perReason.merge(rule == null ? reason : reason + " " + rule, 1L, Long::sum);
            }
        }
        List<RuleQuality> quality =
                qualityPerRule(
                        lake.rowsAddedAfter(
                                RuleQualityStep.QUALITY_REPORT.name(), qualitySnapshotBefore));
        return new RunSummary(
                rows,
                added,
                perReason,
                quality,
                qualityComplete,
                produced,
                audit,
                dataDir,
                wallTime,
                DecisionsSummary.read(catalog),
                violationsPerPolicy(
                        lake.rowsAddedAfter(
                                PolicyStage.VIOLATIONS_TABLE, violationsSnapshotBefore)));
    }

    /**
     * Sums {@code policy_violations} rows per policy: incidents, suppressed repeats, an example.
     */
    static List<PolicyViolations> violationsPerPolicy(List<Record> rows) {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, String> severity = new TreeMap<>();
        Map<String, Record> first = new TreeMap<>();
        for (Record row : rows) {
            String policy = String.valueOf(row.getField("policy_id"));
            long[] c = counts.computeIfAbsent(policy, p -> new long[2]);
            severity.put(policy, String.valueOf(row.getField("severity")));
            if (((Number) row.getField("revision")).intValue() == 1) {
                c[0]++;
                Record earliest = first.get(policy);
                if (earliest == null
                        || String.valueOf(row.getField("first_event_at"))
                                        .compareTo(
                                                String.valueOf(earliest.getField("first_event_at")))
                                < 0) {
                    first.put(policy, row);
                }
            } else {
                c[1] += ((Number) row.getField("suppressed_count")).longValue();
            }
        }
        List<PolicyViolations> out = new ArrayList<>();
        counts.forEach(
                (policy, c) ->
                        out.add(
                                new PolicyViolations(
                                        policy,
                                        severity.get(policy),
                                        c[0],
                                        c[1],
                                        first.containsKey(policy)
                                                ? String.valueOf(
                                                        first.get(policy).getField("narrative"))
                                                : "")));
        out.sort(Comparator.comparing(PolicyViolations::incidents).reversed());
        return List.copyOf(out);
    }

    private void printViolations(PrintStream out) {
        out.println("Policy violations this run (policy_violations):");
        if (violationsPerPolicy.isEmpty()) {
            out.println("  none");
            return;
        }
        out.printf("  %-32s %-8s %10s %11s%n", "policy", "severity", "incidents", "suppressed");
        for (PolicyViolations p : violationsPerPolicy) {
            out.printf(
                    "  %-32s %-8s %,10d %,11d%n",
                    p.policyId(), p.severity(), p.incidents(), p.suppressed());
            out.println("      e.g. " + p.example());
        }
    }

    /** Sums report rows (every window and revision) per source and rule. */
    static List<RuleQuality> qualityPerRule(List<Record> reportRows) {
        Map<String, RuleQuality> sums = new LinkedHashMap<>();
        for (Record row : reportRows) {
            RuleQuality one =
                    new RuleQuality(
                            String.valueOf(row.getField("source")),
                            String.valueOf(row.getField("rule")),
                            String.valueOf(row.getField("severity")),
                            String.valueOf(row.getField("action")),
                            (Long) row.getField("evaluated"),
                            (Long) row.getField("failed"),
                            (Long) row.getField("tagged"),
                            (Long) row.getField("dead_lettered"));
            sums.merge(one.source() + '\u0000' + one.rule(), one, RuleQuality::plus);
        }
        List<RuleQuality> sorted = new ArrayList<>(sums.values());
        sorted.sort(
                Comparator.comparing(RuleQuality::source)
                        .thenComparing(RuleQuality::failed, Comparator.reverseOrder())
                        .thenComparing(RuleQuality::rule));
        return List.copyOf(sorted);
    }

    /** Records the quality rules evaluated this run, per source (every rule sees each record). */
    public Map<String, Long> evaluatedPerSource() {
        Map<String, Long> evaluated = new TreeMap<>();
        for (RuleQuality q : qualityPerRule) {
            evaluated.merge(q.source(), q.evaluated(), Math::max);
        }
        return evaluated;
    }

    /** Rows this run added to the event tables, which must equal the good records produced. */
    public long goodRowsAdded() {
        return EventType.inputs().stream()
                .mapToLong(t -> rowsAddedPerTable.getOrDefault(t.tableName(), 0L))
                .sum();
    }

    public long deadLettersAdded() {
        return rowsAddedPerTable.getOrDefault(EventType.DEAD_LETTER.tableName(), 0L);
    }

    /** Rows this run added to all landing tables together. */
    public long rowsAdded() {
        return rowsAddedPerTable.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Every record in the input topics, from the first offset and over every run on this data
     * directory, is exactly once in an event table, in dead letters (broken, or refused by a
     * quality rule), in late events or in duplicates.
     */
    public boolean accountedFor() {
        return audit.clean();
    }

    private void printQuality(PrintStream out) {
        out.println(
                qualityComplete
                        ? "Quality rules this run (quality_report, every window closed and"
                                + " written):"
                        : "Quality rules this run (quality_report, closed windows only: windows"
                                + " still open are reported by the next run):");
        if (qualityPerRule.isEmpty()) {
            out.println("  no report rows");
            return;
        }
        int width =
                Math.max(
                        16,
                        2
                                + qualityPerRule.stream()
                                        .mapToInt(q -> q.rule().length())
                                        .max()
                                        .orElse(0));
        String header = "  %-" + width + "s %-6s %10s %9s %9s %13s%n";
        String line = "    %-" + (width - 2) + "s %-6s %,10d %,9d %,9d %,13d%n";
        out.printf(
                header,
                "source / rule",
                "action",
                "evaluated",
                "failed",
                "tagged",
                "dead-lettered");
        Map<String, Long> evaluated = evaluatedPerSource();
        String source = null;
        int quiet = 0;
        for (RuleQuality q : qualityPerRule) {
            if (!q.source().equals(source)) {
                printQuiet(out, quiet);
                quiet = 0;
                source = q.source();
                long rules =
                        qualityPerRule.stream().filter(r -> r.source().equals(q.source())).count();
                out.printf("  %s: %,d records, %d rules%n", source, evaluated.get(source), rules);
            }
            if (q.failed() == 0) {
                quiet++;
                continue;
            }
            out.printf(
                    line,
                    q.rule(),
                    q.action(),
                    q.evaluated(),
                    q.failed(),
                    q.tagged(),
                    q.deadLettered());
        }
        printQuiet(out, quiet);
    }

    private static void printQuiet(PrintStream out, int rules) {
        if (rules > 0) {
            out.printf("    (%d %s without failures)%n", rules, rules == 1 ? "rule" : "rules");
        }
    }

    public void print(PrintStream out) {
        out.println();
        out.println("══ Substrate local run: summary ══════════════════════════════════════");
        out.printf("Ran for %d s.%n", wallTime.toSeconds());
        if (produced != null) {
            out.printf(
                    "Produced this run: %,d good + %,d bad records%n",
                    produced.good(), produced.bad());
        }
        out.println();
        out.printf("%-30s %14s %14s%n", "Iceberg table", "rows", "added this run");
        rowsPerTable.forEach(
                (table, count) ->
                        out.printf(
                                "%-30s %,14d %,14d%n",
                                "substrate." + table, count, rowsAddedPerTable.get(table)));
        out.println();
        out.println("Dead letters per reason, and per rule for quality rules (all runs):");
        if (deadLettersPerReason.isEmpty()) {
            out.println("  none");
        }
        deadLettersPerReason.forEach(
                (reason, count) -> out.printf("  %-60s %,10d%n", reason, count));
        out.println();
        printQuality(out);
        out.println();
        printViolations(out);
        out.println();
        long other = rowsAdded() - goodRowsAdded() - deadLettersAdded();
        out.printf(
                "This run added %,d rows to event tables, %,d to dead letters and %,d to late or"
                        + " duplicate events.%n",
                goodRowsAdded(), deadLettersAdded(), other);
        audit.print(out, produced == null);
        out.println();
        decisions.print(out);
        out.println();
        out.println("Where the data lives:");
        out.println("  Iceberg warehouse: " + dataDir.resolve("warehouse"));
        out.println("  Kafka log dir:     " + dataDir.resolve("kafka"));
        out.println("  Registry state:    " + dataDir.resolve("registry"));
        out.println("  Checkpoints:       " + dataDir.resolve("checkpoints"));
        out.println("  Log file:          " + dataDir.resolve("logs/substrate.log"));
    }
}
