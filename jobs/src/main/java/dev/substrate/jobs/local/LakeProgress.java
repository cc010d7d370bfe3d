package dev.substrate.jobs.local;

import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.schemas.EventType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;

/**
 * Committed row counts per lake table, read from the tables' current snapshot summaries (no data
 * files are read), so that progress can be shown every few seconds.
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
