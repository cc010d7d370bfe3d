package dev.substrate.jobs.local;

import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sources.samples.ProducerReport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;

/**
 * What a local run did, read back from the Iceberg tables after the job stopped: rows per table,
 * dead letters per reason, whether every produced record is accounted for, and where the data
 * lives.
 */
public record RunSummary(
        Map<String, Long> rowsPerTable,
        Map<String, Long> rowsAddedPerTable,
        Map<String, Long> deadLettersPerReason,
        ProducerReport produced,
        Path dataDir,
        Duration wallTime) {

    static RunSummary read(
            Catalog catalog,
            Map<String, Long> rowsBefore,
            ProducerReport produced,
            Path dataDir,
            Duration wallTime) {
        Map<String, Long> rows = new LakeProgress(catalog).rowsPerTable();
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
        return new RunSummary(rows, added, perReason, produced, dataDir, wallTime);
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

    /** Rows this run added to every table an input record can land in. */
    static long added(Map<String, Long> rows, Map<String, Long> rowsBefore) {
        long added = 0;
        for (var entry : rows.entrySet()) {
            added += entry.getValue() - rowsBefore.getOrDefault(entry.getKey(), 0L);
        }
        return added;
    }

    /** Rows this run added to all landing tables together. */
    public long rowsAdded() {
        return rowsAddedPerTable.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Every record produced in this run is, exactly once, in an event table, in dead letters
     * (broken on purpose, or refused by a quality rule), in late events or in duplicates.
     */
    public boolean accountedFor() {
        return rowsAdded() == produced.good() + produced.bad();
    }

    public void print(PrintStream out) {
        out.println();
        out.println("══ Substrate local run: summary ══════════════════════════════════════");
        out.printf("Ran for %d s.%n", wallTime.toSeconds());
        out.printf(
                "Produced this run: %,d good + %,d bad records%n", produced.good(), produced.bad());
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
        long other = rowsAdded() - goodRowsAdded() - deadLettersAdded();
        String landed =
                String.format(
                        "%,d in event tables + %,d in dead letters + %,d late or duplicate",
                        goodRowsAdded(), deadLettersAdded(), other);
        out.println(
                accountedFor()
                        ? "Every record produced this run is accounted for: " + landed + "."
                        : String.format(
                                "NOT ALL RECORDS ACCOUNTED FOR YET: %,d produced, the lake has %s"
                                        + " (records still in Kafka are read by the next run).",
                                produced.good() + produced.bad(), landed));
        out.println();
        out.println("Where the data lives:");
        out.println("  Iceberg warehouse: " + dataDir.resolve("warehouse"));
        out.println("  Kafka log dir:     " + dataDir.resolve("kafka"));
        out.println("  Registry state:    " + dataDir.resolve("registry"));
        out.println("  Checkpoints:       " + dataDir.resolve("checkpoints"));
        out.println("  Log file:          " + dataDir.resolve("logs/substrate.log"));
    }
}
