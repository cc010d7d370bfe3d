package dev.substrate.local;

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
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.ErrorInfo;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.messages.FlinkJobNotFoundException;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ExceptionUtils;
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

    /** How long the in-process job manager waits for a heartbeat of the task manager. */
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofMinutes(3);

    private static final String LOOPBACK = "127.0.0.1";

    /** Restarts before a local job fails for good: a fault that repeats is not transient. */
    static final int RESTART_ATTEMPTS = 3;

    private final MiniCluster cluster;
    private final Path savepointDir;
    private JobID jobId;

    /** Set once the job completed a checkpoint of its own: its restore is then behind it. */
    private boolean restoreBehind;

    private LocalFlinkCluster(MiniCluster cluster, Path savepointDir) {
        this.cluster = cluster;
        this.savepointDir = savepointDir;
    }

    /**
     * Starts a cluster with {@code slots} task slots and the web UI on {@code 127.0.0.1:webUiPort}
     * (0 picks a free port).
     */
    public static LocalFlinkCluster start(Path dataDir, int slots, int webUiPort) throws Exception {
        Configuration config = loopback();
        config.set(RestOptions.BIND_PORT, String.valueOf(webUiPort));
        config.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
        config.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(128));
        config.set(TaskManagerOptions.NETWORK_MEMORY_MIN, NETWORK_MEMORY);
        config.set(TaskManagerOptions.NETWORK_MEMORY_MAX, NETWORK_MEMORY);
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                dataDir.resolve("checkpoints").toUri().toString());
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        // Job manager and task manager share this JVM: a missed heartbeat means a starved JVM
        // (a loaded laptop, a CI machine), never a lost task manager, and the 50 s default
        // restarted every job of a run that started slowly.
        config.set(HeartbeatManagerOptions.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT);
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

    /**
     * A configuration that keeps every socket of a MiniCluster on the loopback interface: the web
     * UI (on a free port), and the BLOB server, RPC and data exchange, which otherwise listen on
     * every interface.
     */
    public static Configuration loopback() {
        Configuration config = new Configuration();
        config.set(RestOptions.BIND_ADDRESS, LOOPBACK);
        config.set(RestOptions.ADDRESS, LOOPBACK);
        config.set(RestOptions.BIND_PORT, "0");
        config.set(JobManagerOptions.BIND_HOST, LOOPBACK);
        config.set(JobManagerOptions.ADDRESS, LOOPBACK);
        config.set(TaskManagerOptions.BIND_HOST, LOOPBACK);
        config.set(TaskManagerOptions.HOST, LOOPBACK);
        return config;
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
        restoreBehind = false;
        return jobId;
    }

    /**
     * Submits a job that runs beside the pipeline (the lake's maintenance), fresh every time: it
     * keeps no state worth restoring.
     */
    public JobID submitBeside(StreamExecutionEnvironment env, String jobName) throws Exception {
        var graph = env.getStreamGraph();
        graph.setJobName(jobName);
        return cluster.submitJob(graph).get(60, TimeUnit.SECONDS).getJobID();
    }

    /** Cancels a job submitted with {@link #submitBeside}, waiting (bounded) until it is gone. */
    public void cancel(JobID job, Duration timeout) throws Exception {
        cluster.cancelJob(job).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        long giveUp = System.nanoTime() + timeout.toNanos();
        while (!cluster.getJobStatus(job).get(10, TimeUnit.SECONDS).isGloballyTerminalState()
                && System.nanoTime() < giveUp) {
            Thread.sleep(100);
        }
    }

    public JobStatus status() throws Exception {
        try {
            return cluster.getJobStatus(jobId).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (ExceptionUtils.findThrowable(e, FlinkJobNotFoundException.class).isEmpty()) {
                throw e;
            }
            // Between its end and its archive, a job is briefly unknown to the dispatcher; its
            // result is kept, and says how it ended.
            JobResult result = cluster.requestJobResult(jobId).get(30, TimeUnit.SECONDS);
            return switch (result.getApplicationStatus()) {
                case SUCCEEDED -> JobStatus.FINISHED;
                case CANCELED -> JobStatus.CANCELED;
                default -> JobStatus.FAILED;
            };
        }
    }

    /**
     * How a local job runs: a few restarts, then it fails with its cause (never a restart loop);
     * checkpoints kept when the process dies or the job fails, so the next run resumes from the
     * newest one instead of an older savepoint.
     */
    static Configuration jobRuntime() {
        Configuration config = new Configuration();
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, RESTART_ATTEMPTS);
        config.set(
                RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        config.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        return config;
    }

    /**
     * Throws when the job is no longer running, with its root cause; when the job restored from
     * {@code resumedFrom} and failed restoring it, the message names the snapshot and the fix.
     *
     * <p>A restore of {@code resumedFrom} that fails is final at once: a restart reads the same
     * bytes again, and restarting a whole job takes minutes on two loaded cores, so the run cancels
     * the job instead of waiting out its restarts.
     */
    void checkRunning(@Nullable String resumedFrom) throws Exception {
        JobStatus status = status();
        if (!status.isGloballyTerminalState()) {
            if (resumedFrom != null && !restoreBehind) {
                failIfRestoreFailed(resumedFrom);
            }
            return;
        }
        Throwable root = null;
        JobResult result = cluster.requestJobResult(jobId).get(10, TimeUnit.SECONDS);
        if (result.getSerializedThrowable().isPresent()) {
            root =
                    rootCause(
                            result.getSerializedThrowable()
                                    .get()
                                    .deserializeError(getClass().getClassLoader()));
        }
        String cause =
                root == null
                        ? "no cause given"
                        : root.getClass().getName() + ": " + root.getMessage();
        boolean restoring =
                resumedFrom != null
                        && root != null
                        && isRestoreFailure(ExceptionUtils.stringifyException(root));
        throw new LocalRunException(
                "The job "
                        + status.name().toLowerCase(java.util.Locale.ROOT)
                        + " after "
                        + RESTART_ATTEMPTS
                        + " restarts: "
                        + cause
                        + (restoring
                                ? restoreFix(resumedFrom)
                                : ". The log file under the data directory has the whole story"),
                root);
    }

    /**
     * Cancels the job and throws when its latest failure happened while it restored {@code
     * resumedFrom}, that is before this run completed a checkpoint of its own (a later failure
     * restores from this run's newest checkpoint instead, and gets the restarts).
     */
    private void failIfRestoreFailed(String resumedFrom) throws Exception {
        AccessExecutionGraph graph;
        try {
            graph = cluster.getExecutionGraph(jobId).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return; // ending right now: the next check sees how
        }
        CheckpointStatsSnapshot checkpoints = graph.getCheckpointStatsSnapshot();
        if (checkpoints != null && checkpoints.getCounts().getNumberOfCompletedCheckpoints() > 0) {
            restoreBehind = true; // later checks need not fetch the execution graph again
            return;
        }
        ErrorInfo failure = graph.getFailureInfo();
        if (failure == null || !isRestoreFailure(failure.getExceptionAsString())) {
            return;
        }
        Throwable root = rootCause(failure.getException());
        // The trace goes to the log file; the console gets the cause and the fix below.
        LOG.info(
                "Restoring {} failed; cancelling the job instead of restarting it",
                resumedFrom,
                failure.getException());
        try {
            cancel(jobId, Duration.ofSeconds(30));
        } catch (Exception e) {
            LOG.warn("Could not cancel the job after its restore failed", e);
        }
        throw new LocalRunException(
                "The job failed restoring its state: "
                        + stripEnd(root.getMessage(), ".")
                        + restoreFix(resumedFrom)
                        + ". (A restart would read the same bytes again, so the run stops now.)",
                root);
    }

    /** Whether a failure (its stack trace) happened while a task restored its state. */
    static boolean isRestoreFailure(String trace) {
        String lower = trace.toLowerCase(java.util.Locale.ROOT);
        // Flink's frames and messages on that path: StreamTaskStateInitializerImpl
        // .streamOperatorStateContext, "Could not restore keyed state backend", and the heap and
        // operator backends' *RestoreOperation.restore.
        return lower.contains("streamoperatorstatecontext")
                || lower.contains("could not restore")
                || lower.contains("restoreoperation");
    }

    private static String restoreFix(String resumedFrom) {
        return ". It failed restoring its state from the "
                + resumedFrom
                + ", which is damaged. Fix: restore its files from a backup, start over with a new"
                + " --data-dir, or choose another snapshot with --resume-from <path>";
    }

    private static String stripEnd(String text, String suffix) {
        return text != null && text.endsWith(suffix)
                ? text.substring(0, text.length() - suffix.length())
                : String.valueOf(text);
    }

    private static Throwable rootCause(Throwable error) {
        Throwable root = ExceptionUtils.stripCompletionException(error);
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
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
