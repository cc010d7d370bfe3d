package dev.substrate.local.lake;

import dev.substrate.local.LocalFlinkCluster;
import dev.substrate.local.LocalRunException;
import dev.substrate.sinks.lake.LakeMaintenance;
import dev.substrate.sinks.lake.LakeTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.annotation.Nullable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ReachableFileUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.flink.actions.Actions;
import org.apache.iceberg.flink.maintenance.api.TriggerLockFactory;
import org.apache.iceberg.io.CloseableIterable;

/**
 * Maintains lake tables once, now, for {@code substrate lake maintain}: the same three tasks and
 * settings as the job's {@link LakeMaintenance}, under the same lock, so the two never work on one
 * table at once. Each table in turn: compact small files (a Flink batch job on a loopback
 * MiniCluster, Iceberg's rewrite action), expire snapshots, delete orphan files.
 *
 * <p>Never removes what a job still needs: besides the newest {@code snapshotsRetained}, it keeps
 * the newest snapshot a Flink job committed and every one after it (the committer looks for it when
 * the job resumes, to tell which checkpoints it committed already), and tagged snapshots.
 *
 * <p>The compactions of all tables run on one MiniCluster, started at the first one and stopped by
 * {@link #close()}: starting a cluster per table cost more than most compactions.
 */
public final class LakeMaintainer implements AutoCloseable {

    /** What maintaining one table did. */
    public record Result(
            String table,
            LakeTableStats before,
            LakeTableStats after,
            int filesRewritten,
            int filesAdded,
            int snapshotsExpired,
            int orphansDeleted) {}

    private static final String FLINK_JOB_ID = "flink.job-id";

    private final Catalog catalog;
    private final LakeMaintenance settings;
    private final Duration lockTimeout;
    @Nullable private LocalFlinkCluster rewrites;
    @Nullable private Path rewritesDir;

    public LakeMaintainer(Catalog catalog, LakeMaintenance settings, Duration lockTimeout) {
        this.catalog = catalog;
        this.settings = settings;
        this.lockTimeout = lockTimeout;
    }

    /** Maintains {@code tableName} (in the lake's namespace), holding its lock meanwhile. */
    public Result maintain(String tableName) throws InterruptedException {
        TriggerLockFactory locks = settings.lockFactory(tableName);
        if (locks == null) {
            return maintainLocked(tableName);
        }
        locks.open();
        try {
            TriggerLockFactory.Lock lock = locks.createLock();
            acquire(lock, tableName);
            try {
                return maintainLocked(tableName);
            } finally {
                lock.unlock();
            }
        } finally {
            try {
                locks.close();
            } catch (IOException e) {
                // the lock is released; only its connection failed to close
            }
        }
    }

    private void acquire(TriggerLockFactory.Lock lock, String tableName)
            throws InterruptedException {
        long giveUp = System.nanoTime() + lockTimeout.toNanos();
        while (!lock.tryLock()) {
            if (System.nanoTime() > giveUp) {
                throw new LocalRunException(
                        "Lake table "
                                + tableName
                                + " is being maintained by another maintainer (a running job's"
                                + " maintenance, or another lake maintain) and was still after "
                                + lockTimeout.toSeconds()
                                + " s. Fix: run again later or with a longer --lock-timeout. A"
                                + " lock left by a maintainer killed with kill -9 is the row"
                                + " with LOCK_ID '"
                                + LakeMaintenance.lockId(tableName)
                                + "' in table flink_maintenance_lock of the catalog's database:"
                                + " delete it once no maintainer runs.");
            }
            Thread.sleep(500);
        }
    }

    private Result maintainLocked(String tableName) {
        Table table = catalog.loadTable(LakeTables.identifier(tableName));
        LakeTableStats before = LakeTableStats.of(table);

        int rewritten = 0;
        int added = 0;
        if (before.dataFiles() > 1) {
            StreamExecutionEnvironment env = rewriteEnvironment();
            var result =
                    Actions.forTable(env, table)
                            .rewriteDataFiles()
                            .targetSizeInBytes(settings.targetFileSizeBytes())
                            .execute();
            rewritten = result.deletedDataFiles().size();
            added = result.addedDataFiles().size();
            table.refresh();
        }

        int expired = expire(table);
        int orphans = deleteOrphans(table);
        return new Result(
                tableName, before, LakeTableStats.of(table), rewritten, added, expired, orphans);
    }

    /** An environment whose jobs run on this maintainer's MiniCluster, started on first use. */
    private StreamExecutionEnvironment rewriteEnvironment() {
        try {
            if (rewrites == null) {
                rewritesDir = Files.createTempDirectory("substrate-lake-maintain");
                rewrites = LocalFlinkCluster.start(rewritesDir, 1, 0);
            }
            URI web = rewrites.webUi();
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createRemoteEnvironment(
                            web.getHost(), web.getPort(), LocalFlinkCluster.loopback());
            env.setParallelism(1);
            return env;
        } catch (Exception e) {
            throw new LocalRunException(
                    "Could not start the loopback Flink MiniCluster that compacts lake tables: "
                            + e.getMessage(),
                    e);
        }
    }

    /** Stops the MiniCluster of the compactions, if one was started. */
    @Override
    public void close() throws Exception {
        if (rewrites != null) {
            try {
                rewrites.close();
            } finally {
                rewrites = null;
                deleteRecursively(rewritesDir);
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Expires snapshots past the retention, keeping what a job needs to resume. */
    private int expire(Table table) {
        int before = count(table.snapshots());
        long cutoff = Instant.now().minus(settings.snapshotMaxAge()).toEpochMilli();
        Snapshot lastJobCommit = lastJobCommit(table);
        if (lastJobCommit != null) {
            // expireOlderThan keeps this one (not older) and everything after it
            cutoff = Math.min(cutoff, lastJobCommit.timestampMillis());
        }
        table.expireSnapshots()
                .expireOlderThan(cutoff)
                .retainLast(settings.snapshotsRetained())
                .commit();
        table.refresh();
        return before - count(table.snapshots());
    }

    /** The newest snapshot of the current history that a Flink job's committer wrote. */
    @Nullable
    private static Snapshot lastJobCommit(Table table) {
        Snapshot snapshot = table.currentSnapshot();
        while (snapshot != null) {
            if (snapshot.summary().containsKey(FLINK_JOB_ID)) {
                return snapshot;
            }
            Long parent = snapshot.parentId();
            snapshot = parent == null ? null : table.snapshot(parent);
        }
        return null;
    }

    /**
     * Deletes files under the table's directory that no snapshot or metadata file references and
     * that are older than the orphan minimum age (younger ones may belong to a commit under way).
     * Local warehouses only: on object stores the job's maintenance does it.
     */
    private int deleteOrphans(Table table) {
        URI location = URI.create(table.location());
        if (location.getScheme() != null && !"file".equals(location.getScheme())) {
            return 0;
        }
        Path root = Path.of(location.getScheme() == null ? location.getPath() : location.getPath());
        Set<String> referenced = referencedFiles(table);
        Instant olderThan = Instant.now().minus(settings.orphanMinAge());
        int deleted = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                if (!referenced.contains(normalize(file.toString()))
                        && Files.getLastModifiedTime(file).toInstant().isBefore(olderThan)) {
                    Files.deleteIfExists(file);
                    deleted++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not list " + root, e);
        }
        return deleted;
    }

    private static Set<String> referencedFiles(Table table) {
        Set<String> files = new HashSet<>();
        ReachableFileUtil.metadataFileLocations(table, true).forEach(f -> files.add(normalize(f)));
        files.add(normalize(ReachableFileUtil.versionHintLocation(table)));
        ReachableFileUtil.statisticsFilesLocations(table).forEach(f -> files.add(normalize(f)));
        for (Snapshot snapshot : table.snapshots()) {
            files.add(normalize(snapshot.manifestListLocation()));
            List<ManifestFile> manifests = snapshot.allManifests(table.io());
            for (ManifestFile manifest : manifests) {
                files.add(normalize(manifest.path()));
                try (CloseableIterable<String> paths =
                        ManifestFiles.readPaths(manifest, table.io())) {
                    paths.forEach(p -> files.add(normalize(p)));
                } catch (IOException e) {
                    throw new UncheckedIOException("Could not read manifest " + manifest.path(), e);
                }
            }
        }
        return files;
    }

    /** A file's path without scheme, so {@code file:/a}, {@code file:///a} and {@code /a} match. */
    private static String normalize(String location) {
        if (location.startsWith("file:")) {
            return Path.of(URI.create(location)).normalize().toString();
        }
        return Path.of(location).normalize().toString();
    }

    private static int count(Iterable<?> items) {
        int n = 0;
        for (Object ignored : items) {
            n++;
        }
        return n;
    }
}
