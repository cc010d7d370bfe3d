package dev.substrate.jobs.scheduling;

import static dev.substrate.jobs.scheduling.SchedulingScenario.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Determinism across failure: the same fleet and requests (east failing mid-run) scheduled once
 * without interruption and once with a task killed after a checkpoint, so the job restores the
 * scheduler's state from the checkpoint and reads the rest of the input again. The decisions in the
 * lake are the same, field for field: the state after a restart is exact, not advisory.
 */
class SchedulerRestoreITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    /** Set once the injected failure has happened, so the restored run goes through. */
    private static final AtomicBoolean KILLED = new AtomicBoolean();

    private static final AtomicInteger CHECKPOINTS_BEFORE_KILL = new AtomicInteger();

    @TempDir Path dataDir;

    @Test
    void aRunKilledAndRestoredMakesTheDecisionsOfAnUninterruptedRun() throws Exception {
        List<String> uninterrupted = run(dataDir.resolve("clean"), false);
        List<String> restored = run(dataDir.resolve("killed"), true);

        assertThat(KILLED).isTrue();
        assertThat(CHECKPOINTS_BEFORE_KILL.get()).isPositive();
        assertThat(uninterrupted).hasSizeGreaterThan(40);
        assertThat(restored).containsExactlyElementsOf(uninterrupted);
    }

    private List<String> run(Path dir, boolean kill) throws Exception {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(300));
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        config.set(
                RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        LakeCatalogConfig catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse"));

        List<GpuSample> samples =
                SchedulingScenario.fleet(Duration.ofMinutes(8), T0.plus(Duration.ofMinutes(4)));
        List<WorkloadRequest> requests =
                SchedulingScenario.requests(30, Duration.ofSeconds(10), Duration.ofMinutes(3));
        // Paced so that checkpoints complete while the input is still coming.
        DataStream<GpuSample> sampleStream =
                SchedulingScenario.paced(
                        env,
                        samples,
                        GpuSample.class,
                        1_000,
                        SchedulingScenario.eventTime(s -> s.getTimestamp().toEpochMilli()),
                        "samples");
        DataStream<WorkloadRequest> requestStream =
                SchedulingScenario.paced(
                                env,
                                requests,
                                WorkloadRequest.class,
                                15,
                                SchedulingScenario.eventTime(r -> r.getTimestamp().toEpochMilli()),
                                "requests")
                        .map(new KillOnceAfterACheckpoint(kill, 45))
                        .returns(new AvroTypeInfo<>(WorkloadRequest.class))
                        .setParallelism(1)
                        .uid("kill-once");
        FleetHealthStage.Output fleet = SchedulingScenario.fleetHealth(sampleStream);
        new SchedulingStage(
                        new SchedulingStage.Settings(SchedulingScenario.config(), catalog, null))
                .addTo(requestStream, fleet.nodeHealth(), fleet.capacity(), sampleStream);
        env.execute("scheduler-restore-itcase" + (kill ? "-killed" : ""));
        return LakeReader.readAll(
                        catalog.catalogLoader().loadCatalog(), SchedulingStage.DECISIONS_TABLE)
                .stream()
                .map(SchedulingScenario::row)
                .sorted()
                .toList();
    }

    /**
     * Passes requests on; with {@code kill}, fails the task once, at the first request after {@code
     * after} requests that comes once a checkpoint completed.
     */
    private static final class KillOnceAfterACheckpoint
            extends RichMapFunction<WorkloadRequest, WorkloadRequest>
            implements CheckpointListener {

        private final boolean kill;
        private final int after;
        private int seen;
        private boolean checkpointed;

        KillOnceAfterACheckpoint(boolean kill, int after) {
            this.kill = kill;
            this.after = after;
        }

        @Override
        public WorkloadRequest map(WorkloadRequest r) {
            seen++;
            if (kill && checkpointed && seen > after && KILLED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure: the task is killed here");
            }
            return r;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (kill && !KILLED.get()) {
                checkpointed = true;
                CHECKPOINTS_BEFORE_KILL.incrementAndGet();
            }
        }
    }
}
