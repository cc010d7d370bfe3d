package dev.substrate.jobs;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.sinks.lake.LakeTables;
import java.time.Instant;
import java.util.Optional;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchNamespaceException;

/**
 * Refuses to start the job on a cluster without state when the lake already holds rows a job
 * committed. Such a start reads from the consumer group's committed offsets (or the earliest), but
 * those are committed after each checkpoint, for monitoring, and lag the lake: after a
 * stop-with-savepoint they lagged it by thousands of records. What the lake holds is exactly what
 * the job's newest savepoint or retained checkpoint covers, so a job resumes from that.
 *
 * <p>Not checked: a start from a savepoint or checkpoint ({@code execution.state-recovery.path},
 * which {@code flink run -s} and the REST API's {@code savepointPath} set), a cluster with high
 * availability (its JobManager restores the latest checkpoint itself, also when it runs {@code
 * main()} again after a failover), and {@code resume.allow-fresh-start}.
 */
final class FreshStartGuard {

    private static final String FLINK_JOB_ID = "flink.job-id";

    private FreshStartGuard() {}

    /**
     * @param job the job's own options
     * @param effective the cluster's configuration merged with the job's
     * @throws IllegalStateException naming the table, its last commit and the fix
     */
    static void check(ReadableConfig job, ReadableConfig effective) {
        if (effective.getOptional(StateRecoveryOptions.SAVEPOINT_PATH).isPresent()
                || !"NONE".equalsIgnoreCase(effective.get(HighAvailabilityOptions.HA_MODE))
                || job.get(SubstrateOptions.ALLOW_FRESH_START)) {
            return;
        }
        lastJobCommit(StageContext.catalog(job).loadCatalog())
                .ifPresent(
                        commit -> {
                            throw new IllegalStateException(
                                    "The lake already holds rows a Substrate job committed (table "
                                            + commit.table()
                                            + ", last commit "
                                            + Instant.ofEpochMilli(
                                                    commit.snapshot().timestampMillis())
                                            + " by Flink job "
                                            + commit.snapshot().summary().get(FLINK_JOB_ID)
                                            + "), and this job starts without a savepoint or"
                                            + " checkpoint: it would read from the consumer"
                                            + " group's committed offsets, which lag the lake, and"
                                            + " write rows again. Fix: resume from the last job's"
                                            + " savepoint or newest retained checkpoint (flink run"
                                            + " -s <path>, or savepointPath in the REST API). To"
                                            + " start without state on purpose, pass --"
                                            + SubstrateOptions.ALLOW_FRESH_START.key()
                                            + " true.");
                        });
    }

    private record Commit(TableIdentifier table, Snapshot snapshot) {}

    /** The newest current snapshot of a lake table that a Flink job's committer wrote. */
    private static Optional<Commit> lastJobCommit(Catalog catalog) {
        try {
            Commit newest = null;
            for (TableIdentifier id : catalog.listTables(Namespace.of(LakeTables.NAMESPACE))) {
                Table table = catalog.loadTable(id);
                for (Snapshot s = table.currentSnapshot();
                        s != null;
                        s = s.parentId() == null ? null : table.snapshot(s.parentId())) {
                    if (s.summary().containsKey(FLINK_JOB_ID)) {
                        if (newest == null
                                || s.timestampMillis() > newest.snapshot().timestampMillis()) {
                            newest = new Commit(id, s);
                        }
                        break;
                    }
                }
            }
            return Optional.ofNullable(newest);
        } catch (NoSuchNamespaceException emptyLake) {
            return Optional.empty();
        } finally {
            LakeTables.close(catalog);
        }
    }
}
