package dev.substrate.jobs.lake;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeMaintenance;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The options of {@link LakeMaintenanceJob} and of {@code substrate lake maintain}, typed,
 * documented and defaulted: how long snapshots are kept, how large compacted files are, how often
 * each task runs, and which lock keeps two maintainers of a table apart.
 */
public final class LakeMaintenanceOptions {

    public static final ConfigOption<Boolean> ENABLED =
            key("lake.maintenance.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Maintain every lake table while the job runs (the local run starts"
                                    + " LakeMaintenanceJob beside it): expire snapshots, compact"
                                    + " small files.");

    public static final ConfigOption<Duration> SNAPSHOT_MAX_AGE =
            key("lake.maintenance.snapshot-max-age")
                    .durationType()
                    .defaultValue(Duration.ofHours(24))
                    .withDescription(
                            "Snapshots older than this are expired (time travel reaches back this"
                                + " far), except the last lake.maintenance.snapshots-retained.");

    public static final ConfigOption<Integer> SNAPSHOTS_RETAINED =
            key("lake.maintenance.snapshots-retained")
                    .intType()
                    .defaultValue(10)
                    .withDescription(
                            "The last this many snapshots of a table are kept whatever their age;"
                                    + " the job's own last commit is always among them.");

    public static final ConfigOption<MemorySize> TARGET_FILE_SIZE =
            key("lake.maintenance.target-file-size")
                    .memoryType()
                    .defaultValue(MemorySize.ofMebiBytes(128))
                    .withDescription("The size compaction writes data files of.");

    public static final ConfigOption<Duration> EXPIRE_INTERVAL =
            key("lake.maintenance.expire-interval")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription("How often each table's old snapshots are expired.");

    public static final ConfigOption<Duration> REWRITE_INTERVAL =
            key("lake.maintenance.rewrite-interval")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription(
                            "How often each table's small data files are compacted (sooner once"
                                    + " lake.maintenance.rewrite-file-count files were added).");

    public static final ConfigOption<Integer> REWRITE_FILE_COUNT =
            key("lake.maintenance.rewrite-file-count")
                    .intType()
                    .defaultValue(100)
                    .withDescription(
                            "Compact a table once this many data files were added since its last"
                                    + " compaction.");

    public static final ConfigOption<Duration> ORPHAN_MIN_AGE =
            key("lake.maintenance.orphan-min-age")
                    .durationType()
                    .defaultValue(Duration.ofDays(3))
                    .withDescription(
                            "substrate lake maintain deletes files no snapshot references only when"
                                    + " older than this: a data file written for a"
                                    + " checkpoint that is not committed yet must never be one, so"
                                    + " keep it far above the checkpoint interval and above the"
                                    + " longest time a job stays stopped before it resumes.");

    public static final ConfigOption<Duration> MIN_TIME_BETWEEN_RUNS =
            key("lake.maintenance.min-time-between-runs")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDescription(
                            "At least this long between two maintenance runs of one table, and"
                                    + " between two looks at a lock another maintainer holds.");

    public static final ConfigOption<String> LOCK_JDBC_URI =
            key("lake.maintenance.lock.jdbc-uri")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "JDBC database of the lock that keeps the job's maintenance and"
                                    + " `substrate lake maintain` apart (a table"
                                    + " flink_maintenance_lock). Default: the catalog's own"
                                    + " database when catalog.type is jdbc; otherwise the job's"
                                    + " coordinator lock, which keeps only the job's own tasks"
                                    + " apart. Connection properties: catalog.jdbc.*.");

    private LakeMaintenanceOptions() {}

    /** The maintenance of {@code catalog}'s tables configured by {@code config}. */
    public static LakeMaintenance maintenance(ReadableConfig config, LakeCatalogConfig catalog) {
        LakeMaintenance.Builder builder =
                LakeMaintenance.builder()
                        .catalog(catalog)
                        .snapshotMaxAge(config.get(SNAPSHOT_MAX_AGE))
                        .snapshotsRetained(config.get(SNAPSHOTS_RETAINED))
                        .targetFileSizeBytes(config.get(TARGET_FILE_SIZE).getBytes())
                        .expireEvery(config.get(EXPIRE_INTERVAL))
                        .rewriteEvery(config.get(REWRITE_INTERVAL))
                        .rewriteAfterFiles(config.get(REWRITE_FILE_COUNT))
                        .orphanMinAge(config.get(ORPHAN_MIN_AGE))
                        .minTimeBetweenRuns(config.get(MIN_TIME_BETWEEN_RUNS))
                        .lockDatabase(catalog);
        config.getOptional(LOCK_JDBC_URI)
                .ifPresent(uri -> builder.lockDatabase(uri, catalog.jdbcProperties()));
        return builder.build();
    }
}
