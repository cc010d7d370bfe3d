package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.local.cli.SubstrateCli;
import dev.substrate.local.lake.LakeChecksum;
import dev.substrate.local.lake.LakeTableStats;
import dev.substrate.sinks.lake.LakeTables;
import java.io.PrintWriter;
import java.io.StringWriter;
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
 * A long local run (in a child JVM, 2 s checkpoints) with the job's own table maintenance on short
 * intervals keeps snapshots per table and files per partition bounded while every record still
 * lands exactly once (the run's audit); then {@code substrate lake maintain} compacts and expires
 * the rest, and every table reads back the same rows (count and checksum) before and after.
 */
class LakeMaintenanceITCase {

    private static final Duration RUN = Duration.ofSeconds(70);

    /** 2 s checkpoints for 70 s: about 35 commits to a busy table without maintenance. */
    private static final int MAX_SNAPSHOTS = 20;

    /** Two writers, one file each per checkpoint and partition: about 70 without compaction. */
    private static final int MAX_FILES_PER_PARTITION = 30;

    @TempDir Path dataDir;

    @Test
    void maintenanceKeepsTheLakeBoundedAndItsRowsUnchanged() throws Exception {
        Map<String, String> shortIntervals =
                Map.of(
                        "SUBSTRATE_LAKE_MAINTENANCE_SNAPSHOT_MAX_AGE", "10s",
                        "SUBSTRATE_LAKE_MAINTENANCE_SNAPSHOTS_RETAINED", "5",
                        "SUBSTRATE_LAKE_MAINTENANCE_EXPIRE_INTERVAL", "5s",
                        "SUBSTRATE_LAKE_MAINTENANCE_REWRITE_INTERVAL", "10s",
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
                        "--checkpoint-interval",
                        "2s",
                        "--rate",
                        "300",
                        "--duration",
                        RUN.toSeconds() + "s")) {
            int exit = run.await(RUN.plus(Duration.ofMinutes(3)));
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
