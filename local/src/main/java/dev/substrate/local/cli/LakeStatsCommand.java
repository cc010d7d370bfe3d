package dev.substrate.local.cli;

import dev.substrate.local.LocalLake;
import dev.substrate.local.lake.LakeChecksum;
import dev.substrate.local.lake.LakeTableStats;
import dev.substrate.sinks.lake.LakeTables;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code substrate lake stats}: per table, its rows, snapshots and data files (and the fullest
 * partition), and with {@code --checksum} an order-free checksum of its rows ({@link LakeChecksum})
 * that another engine can compute too.
 */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = {
            "Prints, per lake table: rows, snapshots, data files and the most files in one"
                    + " partition (what maintenance keeps bounded); with --checksum also an"
                    + " order-free checksum of the rows, the same before and after compaction.",
            "One line per table: <table> rows=<n> snapshots=<n> files=<n>"
                    + " max-files-per-partition=<n> [checksum=<16 hex digits>]"
        })
public final class LakeStatsCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate",
            description = "The data directory whose lake to read (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--table", description = "Only this table (default: every table).")
    String table;

    @Option(names = "--checksum", description = "Also read every row and print its checksum.")
    boolean checksum;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!hasLake(dataDir, err, "stats")) {
            return 2;
        }
        Catalog catalog = LocalLake.catalog(dataDir).loadCatalog();
        try {
            for (String name : tables(catalog, table)) {
                Table t = catalog.loadTable(LakeTables.identifier(name));
                LakeTableStats stats = LakeTableStats.of(t);
                StringBuilder line =
                        new StringBuilder(
                                String.format(
                                        "%s rows=%d snapshots=%d files=%d"
                                                + " max-files-per-partition=%d",
                                        name,
                                        stats.rows(),
                                        stats.snapshots(),
                                        stats.dataFiles(),
                                        stats.maxFilesPerPartition()));
                if (checksum) {
                    line.append(" checksum=").append(LakeChecksum.of(t).checksum());
                }
                out.println(line);
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("substrate lake stats: " + e.getMessage());
            return 2;
        } finally {
            LakeTables.close(catalog);
        }
    }

    /** Whether {@code dataDir} holds a lake; if not, says so and how to fix it. */
    static boolean hasLake(Path dataDir, PrintWriter err, String command) {
        if (Files.isRegularFile(dataDir.resolve(LocalLake.CATALOG_DB))) {
            return true;
        }
        err.println(
                "substrate lake "
                        + command
                        + ": no lake in "
                        + dataDir.toAbsolutePath()
                        + " (no "
                        + LocalLake.CATALOG_DB
                        + "). Fix: pass the --data-dir of a local run.");
        return false;
    }

    /** Every table of the lake's namespace, or just {@code only} after checking it exists. */
    static List<String> tables(Catalog catalog, String only) {
        if (only != null) {
            if (!catalog.tableExists(LakeTables.identifier(only))) {
                throw new IllegalArgumentException(
                        "no lake table '" + only + "'. Fix: name one of " + tables(catalog, null));
            }
            return List.of(only);
        }
        return catalog.listTables(Namespace.of(LakeTables.NAMESPACE)).stream()
                .map(TableIdentifier::name)
                .sorted()
                .toList();
    }
}
