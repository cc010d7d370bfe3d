package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.local.cli.SubstrateCli;
import dev.substrate.local.lake.LakeChecksum;
import dev.substrate.local.lake.LakeTableStats;
import dev.substrate.sinks.lake.LakeTables;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A long local run (in a child JVM, 1 s checkpoints) with the job's own table maintenance on short
 * intervals keeps snapshots per table and files per partition bounded while every record still
 * lands exactly once (the run's audit); then {@code substrate lake maintain} compacts and expires
 * the rest, and every table reads back the same rows (count and checksum) before and after.
 */
class LakeMaintenanceITCase {

    /** The longest the streaming run may take to commit and compact enough; it stops earlier. */
    private static final Duration RUN_LIMIT = Duration.ofMinutes(5);

    /**
     * Commits to gpu_samples before the run is stopped (1 s checkpoints): without maintenance that
     * many snapshots would stay, more than {@link #MAX_SNAPSHOTS}.
     */
    private static final long COMMITS = 20;

    /**
     * Snapshots a table may hold at the end of the run: at least 3 kept, or the last 2 s of them,
     * plus those committed since the last expiry (every 2 s), a compaction's and the stop's own.
     */
    private static final int MAX_SNAPSHOTS = 12;

    /**
     * Two writers, one file each per checkpoint and partition: up to 40 without compaction after
     * {@link #COMMITS} commits.
     */
    private static final int MAX_FILES_PER_PARTITION = 20;

    @TempDir Path dataDir;

    /**
     * Polls the lake (read-only, through the run's JDBC catalog) until gpu_samples has {@link
     * #COMMITS} commits and some table holds a compaction the job made.
     */
    private void awaitCommitsAndACompaction(LocalRunProcess run) throws InterruptedException {
        long giveUp = System.nanoTime() + RUN_LIMIT.toNanos();
        long commits = 0;
        boolean compacted = false;
        while (System.nanoTime() < giveUp) {
            Thread.sleep(2_000);
            if (!Files.exists(dataDir.resolve("catalog.db"))) {
                continue;
            }
            Catalog catalog = LocalLake.catalog(dataDir).loadCatalog();
            try {
                for (TableIdentifier id : catalog.listTables(Namespace.of(LakeTables.NAMESPACE))) {
                    Table table = catalog.loadTable(id);
                    Snapshot current = table.currentSnapshot();
                    if (id.name().equals("gpu_samples") && current != null) {
                        commits = current.sequenceNumber();
                    }
                    for (Snapshot snapshot : table.snapshots()) {
                        compacted |= "replace".equals(snapshot.operation());
                    }
                }
                if (commits >= COMMITS && compacted) {
                    return;
                }
            } catch (RuntimeException e) {
                // the run is creating tables or holds the catalog's lock: look again
            } finally {
                LakeTables.close(catalog);
            }
        }
        throw new AssertionError(
                "Within "
                        + RUN_LIMIT
                        + " the job did not both commit "
                        + COMMITS
                        + " times to gpu_samples and compact a table (commits: "
                        + commits
                        + ", compacted: "
                        + compacted
                        + "); it printed:\n"
                        + run.output());
    }

    @Test
    void maintenanceKeepsTheLakeBoundedAndItsRowsUnchanged() throws Exception {
        // The vector and policy stages are off: this run is about the tables, and in-process
        // embedding and pattern matching take the CPU that 1 s checkpoints need on a 2-core
        // machine (a CI run with the policies on committed only 21 times in 5 minutes).
        Map<String, String> shortIntervals =
                Map.of(
                        "SUBSTRATE_VECTORS_ENABLED", "false",
                        "SUBSTRATE_POLICIES_ENABLED", "false",
                        "SUBSTRATE_LAKE_MAINTENANCE_SNAPSHOT_MAX_AGE", "2s",
                        "SUBSTRATE_LAKE_MAINTENANCE_SNAPSHOTS_RETAINED", "3",
                        "SUBSTRATE_LAKE_MAINTENANCE_EXPIRE_INTERVAL", "2s",
                        "SUBSTRATE_LAKE_MAINTENANCE_REWRITE_INTERVAL", "8s",
                        "SUBSTRATE_LAKE_MAINTENANCE_REWRITE_FILE_COUNT", "8",
                        "SUBSTRATE_LAKE_MAINTENANCE_MIN_TIME_BETWEEN_RUNS", "2s");
        try (var run =
                LocalRunProcess.start(
                        shortIntervals,
                        "--data-dir",
                        dataDir.toString(),
                        "--kafka-port",
                        "0",
                        "--registry-port",
                        "0",
                        "--web-ui-port",
                        "0",
                        "--dashboard-port",
                        "0",
                        "--search-port",
                        "0",
                        "--checkpoint-interval",
                        "1s",
                        "--rate",
                        "150",
                        "--duration",
                        RUN_LIMIT.toSeconds() + "s")) {
            // Stopped (as with Ctrl-C) once the job has committed often enough and compacted a
            // table itself: a fixed duration commits less, and may compact nothing, on a slow
            // machine.
            awaitCommitsAndACompaction(run);
            run.interrupt();
            int exit = run.await(Duration.ofMinutes(3));
            assertThat(exit)
                    .as("the run's audit finds every record once; it printed:%n%s", run.output())
                    .isZero();
        }

        Map<String, LakeChecksum> before = new LinkedHashMap<>();
        Catalog catalog = LocalLake.catalog(dataDir).loadCatalog();
        try {
            boolean compacted = false;
            for (TableIdentifier id : catalog.listTables(Namespace.of(LakeTables.NAMESPACE))) {
                Table table = catalog.loadTable(id);
                LakeTableStats stats = LakeTableStats.of(table);
                System.out.printf(
                        "%s after the run: %d snapshots (of %d commits), at most %d files in a"
                                + " partition%n",
                        id,
                        stats.snapshots(),
                        table.currentSnapshot() == null
                                ? 0
                                : table.currentSnapshot().sequenceNumber(),
                        stats.maxFilesPerPartition());
                assertThat(stats.snapshots())
                        .as("snapshots of %s", id)
                        .isLessThanOrEqualTo(MAX_SNAPSHOTS);
                assertThat(stats.maxFilesPerPartition())
                        .as("files in a partition of %s", id)
                        .isLessThanOrEqualTo(MAX_FILES_PER_PARTITION);
                for (Snapshot snapshot : table.snapshots()) {
                    compacted |= "replace".equals(snapshot.operation());
                }
                before.put(id.name(), LakeChecksum.of(table));
            }
            assertThat(compacted).as("the job compacted some table while it ran").isTrue();
            assertThat(before.get("gpu_samples").rows()).isGreaterThan(1_000);
        } finally {
            LakeTables.close(catalog);
        }

        StringWriter printed = new StringWriter();
        int exit =
                new CommandLine(new SubstrateCli())
                        .setOut(new PrintWriter(printed))
                        .setErr(new PrintWriter(printed))
                        .execute(
                                "lake",
                                "maintain",
                                "--data-dir",
                                dataDir.toString(),
                                "--snapshot-max-age",
                                "1s",
                                "--snapshots-retained",
                                "1",
                                "--orphan-min-age",
                                "1s",
                                "--verify");
        assertThat(exit).as(printed.toString()).isZero();
        assertThat(printed.toString()).contains("verified").contains("Maintained");

        catalog = LocalLake.catalog(dataDir).loadCatalog();
        try {
            for (Map.Entry<String, LakeChecksum> table : before.entrySet()) {
                Table after = catalog.loadTable(LakeTables.identifier(table.getKey()));
                assertThat(LakeChecksum.of(after))
                        .as("rows of %s after lake maintain", table.getKey())
                        .isEqualTo(table.getValue());
                LakeTableStats stats = LakeTableStats.of(after);
                assertThat(stats.maxFilesPerPartition())
                        .as("files in a partition of %s", table.getKey())
                        .isLessThanOrEqualTo(1);
                // Expired: everything before the last commit a job made, except tagged ones.
                long lastJobCommit = -1;
                for (Snapshot snapshot : after.snapshots()) {
                    if (snapshot.summary().containsKey("flink.job-id")) {
                        lastJobCommit = Math.max(lastJobCommit, snapshot.timestampMillis());
                    }
                }
                java.util.Set<Long> tagged = new java.util.HashSet<>();
                after.refs().values().forEach(ref -> tagged.add(ref.snapshotId()));
                for (Snapshot snapshot : after.snapshots()) {
                    assertThat(
                                    snapshot.timestampMillis() >= lastJobCommit
                                            || tagged.contains(snapshot.snapshotId()))
                            .as("snapshot %s of %s is kept for a reason", snapshot, table.getKey())
                            .isTrue();
                }
                assertThat(stats.snapshots())
                        .as("snapshots of %s", table.getKey())
                        .isLessThan(MAX_SNAPSHOTS);
            }
        } finally {
            LakeTables.close(catalog);
        }
    }
}
