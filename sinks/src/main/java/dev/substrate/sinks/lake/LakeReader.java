package dev.substrate.sinks.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/**
 * Reads lake tables back through Iceberg's generic reader, for tests and the local-run summary.
 *
 * <p>A table name without a dot is looked up in namespace {@value LakeTables#NAMESPACE}; {@code
 * ns.table} names a table elsewhere. Only committed snapshots are visible.
 */
public final class LakeReader {

    private LakeReader() {}

    /** The number of rows in the table's current snapshot (0 before the first commit). */
    public static long countRows(Catalog catalog, String table) {
        long count = 0;
        try (CloseableIterable<Record> rows = IcebergGenerics.read(load(catalog, table)).build()) {
            for (Record ignored : rows) {
                count++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read lake table " + table, e);
        }
        return count;
    }

    /** Every row of the table's current snapshot, in no particular order. */
    public static List<Record> readAll(Catalog catalog, String table) {
        List<Record> out = new ArrayList<>();
        try (CloseableIterable<Record> rows = IcebergGenerics.read(load(catalog, table)).build()) {
            rows.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read lake table " + table, e);
        }
        return out;
    }

    /**
     * Streams the given columns of every row of the table's current snapshot to {@code action},
     * without holding the table in memory; a table that does not exist has no rows.
     */
    public static void forEachRow(
            Catalog catalog, String table, List<String> columns, Consumer<Record> action) {
        TableIdentifier id =
                table.contains(".") ? TableIdentifier.parse(table) : LakeTables.identifier(table);
        if (!catalog.tableExists(id)) {
            return;
        }
        try (CloseableIterable<Record> rows =
                IcebergGenerics.read(load(catalog, table)).select(columns).build()) {
            rows.forEach(action);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read lake table " + table, e);
        }
    }

    private static Table load(Catalog catalog, String table) {
        TableIdentifier id =
                table.contains(".") ? TableIdentifier.parse(table) : LakeTables.identifier(table);
        Table loaded = catalog.loadTable(id);
        // Catalogs may cache tables; a reader wants the latest commit.
        loaded.refresh();
        return loaded;
    }
}
