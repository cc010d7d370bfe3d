package dev.substrate.sinks.lake;

import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.maintenance.api.ExpireSnapshots;
import org.apache.iceberg.flink.maintenance.api.JdbcLockFactory;
import org.apache.iceberg.flink.maintenance.api.RewriteDataFiles;
import org.apache.iceberg.flink.maintenance.api.TableMaintenance;
import org.apache.iceberg.flink.maintenance.api.TriggerLockFactory;

/**
 * Keeps a lake table small and fast while the job writes it, with Iceberg's own Flink maintenance
 * ({@link TableMaintenance}): every checkpoint commits a snapshot and small files, and without this
 * a table at 30 s checkpoints holds 20,000 snapshots after a week.
 *
 * <pre>
 *  monitor source ─► trigger manager ─┬─► expire snapshots   (every expireEvery: older than
 *  (polls the table)  (lock, schedules)│                         snapshotMaxAge, keeping the last
 *                                      │                         snapshotsRetained)
 *                                      └─► rewrite data files (every rewriteEvery, or after
 *                                                                rewriteAfterFiles new files:
 *                                                                small files → targetFileSize)
 * </pre>
 *
 * <p>Orphan files (older than {@code orphanMinAge}, which no snapshot references) are deleted by
 * {@code substrate lake maintain}, not here: Iceberg 1.11.0's Flink {@code DeleteOrphanFiles}
 * deletes files of live snapshots (apache/iceberg#15487).
 *
 * <p>Two maintainers of one table never run at once: with a JDBC lock ({@link #lockDatabase}) the
 * job's maintenance and {@code substrate lake maintain} take the same lock, {@link #lockId} of the
 * table, in that database; without one, the job's own coordinator keeps its tasks apart (and the
 * command must not run while the job maintains the table).
 *
 * <p>What a running job still needs is never removed: expiry keeps the table's current snapshot and
 * the last {@code snapshotsRetained} (the job commits every checkpoint, so its own last commit,
 * which Iceberg's committer looks for when it restores, is always among them), and tagged ones;
 * compaction commits only if no concurrent commit touched the files it replaced.
 *
 * <pre>{@code
 * LakeMaintenance.builder().catalog(catalog).lockDatabase(catalog).build()
 *         .addTo(env, "gpu_samples");
 * }</pre>
 */
public final class LakeMaintenance implements Serializable {

    @Serial private static final long serialVersionUID = 1L;

    private final LakeCatalogConfig catalog;
    private final Duration snapshotMaxAge;
    private final int snapshotsRetained;
    private final long targetFileSizeBytes;
    private final Duration expireEvery;
    private final Duration rewriteEvery;
    private final int rewriteAfterFiles;
    private final Duration orphanMinAge;
    private final Duration minTimeBetweenRuns;
    @Nullable private final String lockUri;
    // JDBC connection properties of the lock database (jdbc.*): may hold a password, never log.
    private final HashMap<String, String> lockProperties;

    private LakeMaintenance(Builder b) {
        this.catalog = b.catalog;
        this.snapshotMaxAge = b.snapshotMaxAge;
        this.snapshotsRetained = b.snapshotsRetained;
        this.targetFileSizeBytes = b.targetFileSizeBytes;
        this.expireEvery = b.expireEvery;
        this.rewriteEvery = b.rewriteEvery;
        this.rewriteAfterFiles = b.rewriteAfterFiles;
        this.orphanMinAge = b.orphanMinAge;
        this.minTimeBetweenRuns = b.minTimeBetweenRuns;
        this.lockUri = b.lockUri;
        this.lockProperties = new HashMap<>(b.lockProperties);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The uid suffix of table {@code name}'s maintenance operators: stable across versions. */
    public static String uid(String tableName) {
        return "lake-maintenance-" + tableName;
    }

    /** The lock id of a table: the same for the job's maintenance and the command's. */
    public static String lockId(String tableName) {
        return LakeTables.NAMESPACE + "." + tableName;
    }

    /**
     * Adds the maintenance of lake table {@code tableName} (it must exist) to {@code env}: a
     * monitor source, a trigger manager and the three tasks, uids {@code
     * ...lake-maintenance-<name>}.
     */
    public void addTo(StreamExecutionEnvironment env, String tableName) {
        TableIdentifier id = LakeTables.identifier(tableName);
        TableLoader loader = TableLoader.fromCatalog(catalog.catalogLoader(), id);
        try {
            TableMaintenance.forTable(env, loader, lockFactory(tableName))
                    .uidSuffix(uid(tableName))
                    .rateLimit(minTimeBetweenRuns)
                    .lockCheckDelay(minTimeBetweenRuns)
                    .parallelism(1)
                    .add(
                            ExpireSnapshots.builder()
                                    .scheduleOnInterval(expireEvery)
                                    .maxSnapshotAge(snapshotMaxAge)
                                    .retainLast(snapshotsRetained))
                    .add(
                            RewriteDataFiles.builder()
                                    .scheduleOnInterval(rewriteEvery)
                                    .scheduleOnDataFileCount(rewriteAfterFiles)
                                    .targetFileSizeBytes(targetFileSizeBytes))
                    // No DeleteOrphanFiles here: in Iceberg 1.11.0 its metadata listing keeps the
                    // table as it was when the job started, so it deletes the manifest lists and
                    // metadata files of every later commit (apache/iceberg#15487), and the table
                    // breaks. Orphans are removed by `substrate lake maintain`, which lists them
                    // from the table as it is.
                    .append();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not add the maintenance of " + id, e);
        }
    }

    /**
     * The lock that keeps the maintainers of {@code tableName} apart, or null for the job's own
     * coordinator lock (no lock database).
     */
    @Nullable
    public TriggerLockFactory lockFactory(String tableName) {
        if (lockUri == null) {
            return null;
        }
        Map<String, String> properties = new HashMap<>(lockProperties);
        properties.put(JdbcLockFactory.INIT_LOCK_TABLES_PROPERTY, "true");
        return new JobJarJdbcLockFactory(lockUri, lockId(tableName), properties);
    }

    /** Iceberg's JDBC lock, for a driver in the job jar (see {@link JobJarJdbcCatalog}). */
    private static final class JobJarJdbcLockFactory extends JdbcLockFactory {
        private static final long serialVersionUID = 1L;

        JobJarJdbcLockFactory(String uri, String lockId, Map<String, String> properties) {
            super(uri, lockId, properties);
        }

        @Override
        public void open() {
            JobJarJdbcCatalog.registerDrivers(JobJarJdbcLockFactory.class.getClassLoader());
            super.open();
        }
    }

    /**
     * Releases the maintenance lock of {@code tableName} whoever holds it: for a maintenance job
     * that was cancelled, since a lock its cancelled task held would keep every later maintainer
     * waiting. Call it only when no maintainer of the table runs.
     */
    public void releaseLock(String tableName) {
        TriggerLockFactory locks = lockFactory(tableName);
        if (locks == null) {
            return;
        }
        locks.open();
        try {
            locks.createLock().unlock();
            locks.createRecoveryLock().unlock();
        } finally {
            try {
                locks.close();
            } catch (IOException e) {
                // released; only the connection failed to close
            }
        }
    }

    public Duration snapshotMaxAge() {
        return snapshotMaxAge;
    }

    public int snapshotsRetained() {
        return snapshotsRetained;
    }

    public long targetFileSizeBytes() {
        return targetFileSizeBytes;
    }

    public Duration orphanMinAge() {
        return orphanMinAge;
    }

    @Override
    public String toString() {
        return "LakeMaintenance{snapshotMaxAge="
                + snapshotMaxAge
                + ", snapshotsRetained="
                + snapshotsRetained
                + ", targetFileSizeBytes="
                + targetFileSizeBytes
                + ", expireEvery="
                + expireEvery
                + ", rewriteEvery="
                + rewriteEvery
                + ", rewriteAfterFiles="
                + rewriteAfterFiles
                + ", orphanMinAge="
                + orphanMinAge
                + ", lock="
                + (lockUri == null ? "job coordinator" : lockUri)
                + "}";
    }

    /** Builds a {@link LakeMaintenance}; every setting but the catalog has a default. */
    public static final class Builder {
        private LakeCatalogConfig catalog;
        private Duration snapshotMaxAge = Duration.ofHours(24);
        private int snapshotsRetained = 10;
        private long targetFileSizeBytes = 128L * 1024 * 1024;
        private Duration expireEvery = Duration.ofHours(1);
        private Duration rewriteEvery = Duration.ofHours(1);
        private int rewriteAfterFiles = 100;
        private Duration orphanMinAge = Duration.ofDays(3);
        private Duration minTimeBetweenRuns = Duration.ofMinutes(1);
        @Nullable private String lockUri;
        private Map<String, String> lockProperties = Map.of();

        private Builder() {}

        /** The catalog of the tables to maintain. */
        public Builder catalog(LakeCatalogConfig catalog) {
            this.catalog = catalog;
            return this;
        }

        /** Snapshots older than this are expired (default 24 h)... */
        public Builder snapshotMaxAge(Duration age) {
            this.snapshotMaxAge = age;
            return this;
        }

        /** ...except the last this many, whatever their age (default 10). */
        public Builder snapshotsRetained(int count) {
            this.snapshotsRetained = count;
            return this;
        }

        /** The size compaction writes files of (default 128 MiB). */
        public Builder targetFileSizeBytes(long bytes) {
            this.targetFileSizeBytes = bytes;
            return this;
        }

        /** How often snapshots are expired (default 1 h). */
        public Builder expireEvery(Duration interval) {
            this.expireEvery = interval;
            return this;
        }

        /** How often small files are compacted (default 1 h)... */
        public Builder rewriteEvery(Duration interval) {
            this.rewriteEvery = interval;
            return this;
        }

        /** ...or sooner, once this many data files were added since the last time (100). */
        public Builder rewriteAfterFiles(int files) {
            this.rewriteAfterFiles = files;
            return this;
        }

        /** Only files older than this can be orphans (default 3 days). */
        public Builder orphanMinAge(Duration age) {
            this.orphanMinAge = age;
            return this;
        }

        /** At least this long between two maintenance runs of a table (default 1 min). */
        public Builder minTimeBetweenRuns(Duration interval) {
            this.minTimeBetweenRuns = interval;
            return this;
        }

        /**
         * The lock shared with other maintainers lives in this JDBC database ({@code jdbc.*}
         * connection properties, as a JDBC catalog takes them); a null URI means the job's
         * coordinator lock.
         */
        public Builder lockDatabase(@Nullable String jdbcUri, Map<String, String> properties) {
            this.lockUri = jdbcUri;
            this.lockProperties = Map.copyOf(properties);
            return this;
        }

        /** The lock lives in the database of a JDBC catalog (any other catalog: no change). */
        public Builder lockDatabase(LakeCatalogConfig jdbcCatalog) {
            if (jdbcCatalog.type() != LakeCatalogConfig.Type.JDBC) {
                return this;
            }
            return lockDatabase(jdbcCatalog.uri(), jdbcCatalog.jdbcProperties());
        }

        public LakeMaintenance build() {
            Objects.requireNonNull(catalog, "catalog");
            positive(snapshotMaxAge, "snapshotMaxAge");
            positive(expireEvery, "expireEvery");
            positive(rewriteEvery, "rewriteEvery");
            positive(orphanMinAge, "orphanMinAge");
            positive(minTimeBetweenRuns, "minTimeBetweenRuns");
            if (snapshotsRetained < 1) {
                throw new IllegalArgumentException(
                        "snapshotsRetained must be at least 1 (the current snapshot); got "
                                + snapshotsRetained);
            }
            if (targetFileSizeBytes < 1024 * 1024) {
                throw new IllegalArgumentException(
                        "targetFileSizeBytes must be at least 1 MiB; got " + targetFileSizeBytes);
            }
            if (rewriteAfterFiles < 2) {
                throw new IllegalArgumentException(
                        "rewriteAfterFiles must be at least 2; got " + rewriteAfterFiles);
            }
            if (lockUri != null && !lockUri.startsWith("jdbc:")) {
                throw new IllegalArgumentException(
                        "The maintenance lock needs a JDBC URL (jdbc:...); got " + lockUri);
            }
            return new LakeMaintenance(this);
        }

        private static void positive(Duration value, String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive; got " + value);
            }
        }
    }
}
