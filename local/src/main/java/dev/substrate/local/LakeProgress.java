package dev.substrate.local;

import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.jobs.ingest.RuleQualityStep;
import dev.substrate.schemas.EventType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * Committed row counts per lake table, read from the tables' current snapshot summaries (no data
 * files are read), so that progress can be shown every few seconds; and, for the summary and the
 * next run, what a run added to a table and how far the quality report got in event time.
 */
final class LakeProgress {

    static final Namespace NAMESPACE = Namespace.of("substrate");

    /** Every table an input record can land in: one of these, exactly once. */
    static final List<String> TABLES = landingTables();

    private final Catalog catalog;

    LakeProgress(Catalog catalog) {
        this.catalog = catalog;
    }

    /** Rows committed so far per table; tables not created yet count zero. */
    Map<String, Long> rowsPerTable() {
        Map<String, Long> rows = new LinkedHashMap<>();
        for (String table : TABLES) {
            rows.put(table, committedRows(table));
        }
        return rows;
    }

    private static List<String> landingTables() {
        List<String> tables = new ArrayList<>();
        for (EventType type : EventType.values()) {
            tables.add(type.tableName());
        }
        tables.add(IngestStage.LATE_EVENTS.name());
        tables.add(IngestStage.DUPLICATE_EVENTS.name());
        return List.copyOf(tables);
    }

    /** The table's current snapshot id, or -1 while it has none (or does not exist). */
    long snapshotId(String tableName) {
        TableIdentifier id = TableIdentifier.of(NAMESPACE, tableName);
        if (!catalog.tableExists(id)) {
            return -1;
        }
        Snapshot snapshot = catalog.loadTable(id).currentSnapshot();
        return snapshot == null ? -1 : snapshot.snapshotId();
    }

    /**
     * The rows of {@code tableName} committed after snapshot {@code afterSnapshot} (all rows when
     * it is -1): what one run added. The lake tables are append-only.
     */
    List<Record> rowsAddedAfter(String tableName, long afterSnapshot) {
        TableIdentifier id = TableIdentifier.of(NAMESPACE, tableName);
        if (!catalog.tableExists(id)) {
            return List.of();
        }
        Table table = catalog.loadTable(id);
        table.refresh();
        Snapshot current = table.currentSnapshot();
        if (current == null || current.snapshotId() == afterSnapshot) {
            return List.of();
        }
        if (afterSnapshot < 0) {
            return read(IcebergGenerics.read(table), tableName);
        }
        if (SnapshotUtil.isAncestorOf(table, current.snapshotId(), afterSnapshot)) {
            return read(IcebergGenerics.read(table).appendsAfter(afterSnapshot), tableName);
        }
        // Maintenance expired the snapshots between (the run's start snapshot itself is kept by
        // its tag, see tagRunStart): what the run added is what is there now, less what was
        // there then. Compaction moves rows between files, never changes them.
        Map<Record, Integer> before = new HashMap<>();
        for (Record row : read(IcebergGenerics.read(table).useSnapshot(afterSnapshot), tableName)) {
            before.merge(row, 1, Integer::sum);
        }
        List<Record> added = new ArrayList<>();
        for (Record row : read(IcebergGenerics.read(table), tableName)) {
            if (before.containsKey(row)) {
                before.computeIfPresent(row, (r, n) -> n == 1 ? null : n - 1);
            } else {
                added.add(row);
            }
        }
        return added;
    }

    /**
     * Tags the current snapshot of {@code tableName} as the start of this run, so that table
     * maintenance keeps it (and {@link #rowsAddedAfter} can read it) however many snapshots after
     * it are expired while the run lasts. The next run moves the tag.
     */
    void tagRunStart(String tableName, long snapshotId) {
        TableIdentifier id = TableIdentifier.of(NAMESPACE, tableName);
        if (snapshotId < 0 || !catalog.tableExists(id)) {
            return;
        }
        Table table = catalog.loadTable(id);
        if (table.refs().containsKey(RUN_START_TAG)) {
            table.manageSnapshots().replaceTag(RUN_START_TAG, snapshotId).commit();
        } else {
            table.manageSnapshots().createTag(RUN_START_TAG, snapshotId).commit();
        }
    }

    /** The tag on the snapshot a local run started from. */
    static final String RUN_START_TAG = "substrate-local-run-start";

    private static List<Record> read(IcebergGenerics.ScanBuilder scan, String tableName) {
        List<Record> rows = new ArrayList<>();
        try (CloseableIterable<Record> read = scan.build()) {
            read.forEach(rows::add);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read lake table " + tableName, e);
        }
        return rows;
    }

    /**
     * The end of the latest quality report window that is not after {@code notAfter}: every record
     * the report counted, up to that time, lies before it. Null before the first report.
     */
    @Nullable
    Instant lastReportedWindowEnd(Instant notAfter) {
        TableIdentifier id = TableIdentifier.of(NAMESPACE, RuleQualityStep.QUALITY_REPORT.name());
        if (!catalog.tableExists(id)) {
            return null;
        }
        Table table = catalog.loadTable(id);
        if (table.currentSnapshot() == null) {
            return null;
        }
        long limitMicros = notAfter.toEpochMilli() * 1000;
        long latest = Long.MIN_VALUE;
        try (CloseableIterable<Record> rows =
                IcebergGenerics.read(table).select("window_end").build()) {
            for (Record row : rows) {
                Object end = row.getField("window_end");
                long micros = micros(end);
                if (micros <= limitMicros && micros > latest) {
                    latest = micros;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the quality report", e);
        }
        return latest == Long.MIN_VALUE
                ? null
                : Instant.EPOCH.plus(latest, java.time.temporal.ChronoUnit.MICROS);
    }

    /** An Iceberg timestamptz as read by the generic reader, in microseconds since the epoch. */
    private static long micros(Object timestamp) {
        if (timestamp instanceof OffsetDateTime time) {
            Instant instant = time.toInstant();
            return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
        }
        if (timestamp instanceof Long micros) {
            return micros;
        }
        throw new IllegalStateException("Not a timestamp: " + timestamp);
    }

    private long committedRows(String tableName) {
        TableIdentifier id = TableIdentifier.of(NAMESPACE, tableName);
        if (!catalog.tableExists(id)) {
            return 0;
        }
        Table table = catalog.loadTable(id);
        Snapshot snapshot = table.currentSnapshot();
        if (snapshot == null) {
            return 0;
        }
        String total = snapshot.summary().get("total-records");
        return total == null ? 0 : Long.parseLong(total);
    }
}
