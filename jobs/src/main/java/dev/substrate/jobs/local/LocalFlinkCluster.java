package dev.substrate.jobs.local;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Flink MiniCluster with its web UI on the loopback interface, for the local run: submits one
 * job, and stops it with a final savepoint (drained or not) so that every sink commits what it has.
 */
public final class LocalFlinkCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalFlinkCluster.class);

    /**
     * Network buffers of the one TaskManager. The job's exchanges at parallelism 2 ask for about
     * 110 MiB of buffers; with 64 MiB Flink warned "Memory usage [171%] is too high to satisfy all
     * of the requests" and gave channels fewer buffers than they want.
     */
    public static final MemorySize NETWORK_MEMORY = MemorySize.ofMebiBytes(256);

    private final MiniCluster cluster;
    private final Path savepointDir;
    private JobID jobId;

    private LocalFlinkCluster(MiniCluster cluster, Path savepointDir) {
        this.cluster = cluster;
        this.savepointDir = savepointDir;
    }

    /**
     * Starts a cluster with {@code slots} task slots and the web UI on {@code 127.0.0.1:webUiPort}
     * (0 picks a free port).
     */
    public static LocalFlinkCluster start(Path dataDir, int slots, int webUiPort) throws Exception {
        Configuration config = new Configuration();
        config.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        config.set(RestOptions.ADDRESS, "127.0.0.1");
        config.set(RestOptions.BIND_PORT, String.valueOf(webUiPort));
        config.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
        config.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(128));
        config.set(TaskManagerOptions.NETWORK_MEMORY_MIN, NETWORK_MEMORY);
        config.set(TaskManagerOptions.NETWORK_MEMORY_MAX, NETWORK_MEMORY);
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                dataDir.resolve("checkpoints").toUri().toString());
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(config)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(slots)
                                .build());
        cluster.start();
        return new LocalFlinkCluster(cluster, dataDir.resolve("savepoints"));
    }

    /** The Flink web UI, e.g. {@code http://127.0.0.1:8081}. */
    public URI webUi() throws Exception {
        return cluster.getRestAddress().get(10, TimeUnit.SECONDS);
    }

    /**
     * Submits the job built in {@code env}, restoring its state from {@code savepoint} when one is
     * given; state of operators the job no longer has is skipped.
     */
    public JobID submit(StreamExecutionEnvironment env, String jobName, @Nullable String savepoint)
            throws Exception {
        var graph = env.getStreamGraph();
        graph.setJobName(jobName);
        if (savepoint != null) {
            // A local data directory outlives code changes: state of operators that no longer
            // exist (Flink logs each) is left behind rather than refusing to start.
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, true));
        }
        jobId = cluster.submitJob(graph).get(60, TimeUnit.SECONDS).getJobID();
        return jobId;
    }

    public JobStatus status() throws Exception {
        return cluster.getJobStatus(jobId).get(10, TimeUnit.SECONDS);
    }

    /**
     * Stops the running job with a final savepoint: sources stop, every sink commits what it holds,
     * then the job finishes. Returns the savepoint path. A job still starting cannot take a
     * savepoint yet, so this retries until {@code timeout}.
     *
     * @param drain advance event time to the end first (as {@code flink stop --drain}): every
     *     window fires and is written, for a batch that is complete. Without it, open windows stay
     *     in the savepoint and fire in the next run.
     */
    public String stopWithSavepoint(Duration timeout, boolean drain) throws Exception {
        long giveUp = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return cluster.stopWithSavepoint(
                                jobId,
                                savepointDir.toUri().toString(),
                                // MiniCluster: true = TERMINATE_WITH_SAVEPOINT, i.e. drain.
                                drain,
                                SavepointFormatType.CANONICAL)
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (System.nanoTime() > giveUp || status().isGloballyTerminalState()) {
                    throw e;
                }
                LOG.info("Job not ready for a savepoint yet, retrying: {}", e.getMessage());
                Thread.sleep(500);
            }
        }
    }

    @Override
    public void close() throws Exception {
        cluster.closeAsync().get(30, TimeUnit.SECONDS);
    }
}
