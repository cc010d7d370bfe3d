package dev.substrate.local.cli;

import dev.substrate.jobs.config.SubstrateConfig;
import dev.substrate.jobs.lake.LakeMaintenanceOptions;
import dev.substrate.local.LocalLake;
import dev.substrate.local.LocalRunException;
import dev.substrate.local.lake.LakeChecksum;
import dev.substrate.local.lake.LakeMaintainer;
import dev.substrate.sinks.lake.LakeMaintenance;
import dev.substrate.sinks.lake.LakeTables;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.iceberg.catalog.Catalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code substrate lake maintain}: maintains the lake's tables now ({@link LakeMaintainer}), with
 * the job's maintenance options ({@code lake.maintenance.*}, from {@code SUBSTRATE_*} variables or
 * these options) and under the same lock as the job's maintenance.
 */
@Command(
        name = "maintain",
        mixinStandardHelpOptions = true,
        description = {
            "Maintains the lake's tables now, one after the other: compacts small data files,"
                    + " expires old snapshots (keeping the newest ones, the last a job committed"
                    + " and tagged ones) and deletes orphan files. Takes each table's maintenance"
                    + " lock first, so it never runs at the same time as a running job's own"
                    + " maintenance of that table.",
            "Retention and sizes default to the job's lake.maintenance.* options, also read from"
                    + " SUBSTRATE_LAKE_MAINTENANCE_* environment variables."
        })
public final class LakeMaintainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate",
            description = "The data directory whose lake to maintain (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--table", description = "Only this table (default: every table).")
    String table;

    @Option(
            names = "--snapshot-max-age",
            converter = DurationConverter.class,
            description = "Expire snapshots older than this (default: lake.maintenance's, 24 h).")
    Duration snapshotMaxAge;

    @Option(
            names = "--snapshots-retained",
            description = "Keep at least this many newest snapshots (default: 10).")
    Integer snapshotsRetained;

    @Option(
            names = "--orphan-min-age",
            converter = DurationConverter.class,
            description = "Only files older than this can be orphans (default: 3 days).")
    Duration orphanMinAge;

    @Option(
            names = "--lock-timeout",
            defaultValue = "2min",
            converter = DurationConverter.class,
            description =
                    "How long to wait for a table another maintainer works on (default:"
                            + " ${DEFAULT-VALUE}).")
    Duration lockTimeout;

    @Option(
            names = "--verify",
            description =
                    "Read every row before and after, and fail unless the row count and checksum"
                            + " of each table are unchanged.")
    boolean verify;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!LakeStatsCommand.hasLake(dataDir, err, "maintain")) {
            return 2;
        }
        LakeMaintenance settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            err.println("substrate lake maintain: " + e.getMessage());
            return 2;
        }
        Catalog catalog = LocalLake.catalog(dataDir).loadCatalog();
        try (LakeMaintainer maintainer = new LakeMaintainer(catalog, settings, lockTimeout)) {
            int changed = 0;
            for (String name : LakeStatsCommand.tables(catalog, table)) {
                var tableRef = catalog.loadTable(LakeTables.identifier(name));
                LakeChecksum before = verify ? LakeChecksum.of(tableRef) : null;
                LakeMaintainer.Result result = maintainer.maintain(name);
                out.printf(
                        "%-20s %d files compacted into %d, %d snapshots expired, %d orphan"
                                + " files deleted; now %s%n",
                        name,
                        result.filesRewritten(),
                        result.filesAdded(),
                        result.snapshotsExpired(),
                        result.orphansDeleted(),
                        result.after());
                if (verify) {
                    LakeChecksum after =
                            LakeChecksum.of(catalog.loadTable(LakeTables.identifier(name)));
                    if (!after.equals(before)) {
                        err.printf(
                                "substrate lake maintain: %s changed: %s before, %s after%n",
                                name, before, after);
                        return 1;
                    }
                    out.printf(
                            "%-20s verified: %d rows, checksum %s before and after%n",
                            name, after.rows(), after.checksum());
                }
                changed++;
            }
            out.printf("Maintained %d tables.%n", changed);
            return 0;
        } catch (LocalRunException | IllegalArgumentException e) {
            err.println("substrate lake maintain: " + e.getMessage());
            return 2;
        } finally {
            LakeTables.close(catalog);
        }
    }

    private LakeMaintenance settings() {
        Configuration config =
                SubstrateConfig.resolve(new Configuration(), System.getenv(), new String[0]);
        if (snapshotMaxAge != null) {
            config.set(LakeMaintenanceOptions.SNAPSHOT_MAX_AGE, snapshotMaxAge);
        }
        if (snapshotsRetained != null) {
            config.set(LakeMaintenanceOptions.SNAPSHOTS_RETAINED, snapshotsRetained);
        }
        if (orphanMinAge != null) {
            config.set(LakeMaintenanceOptions.ORPHAN_MIN_AGE, orphanMinAge);
        }
        return LakeMaintenanceOptions.maintenance(config, LocalLake.catalog(dataDir));
    }
}
