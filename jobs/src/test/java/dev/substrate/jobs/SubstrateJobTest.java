package dev.substrate.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.policies.PolicyOptions;
import dev.substrate.jobs.scheduling.SchedulingOptions;
import dev.substrate.jobs.vectors.VectorOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubstrateJobTest {

    @Test
    void refusesToStartWithCheckpointsInJobManagerMemory() {
        assertThatThrownBy(() -> SubstrateJob.requireDurableCheckpoints(new Configuration()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("execution.checkpointing.dir")
                .hasMessageContaining("5 MiB");
    }

    @Test
    void startsWithACheckpointDirectory() {
        Configuration config = new Configuration();
        config.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file:///tmp/checkpoints");
        assertThatCode(() -> SubstrateJob.requireDurableCheckpoints(config))
                .doesNotThrowAnyException();
    }

    @Test
    void schedulingAndPoliciesCanBeSwitchedOffAndTheRestOfThePipelineStays(@TempDir Path dir)
            throws Exception {
        Path key = Files.writeString(dir.resolve("pii.key"), "k".repeat(40));
        Configuration config = new Configuration();
        config.set(SubstrateOptions.PII_KEY_FILE, key.toString());
        config.set(VectorOptions.ENABLED, false);
        config.set(SchedulingOptions.ENABLED, false);
        config.set(PolicyOptions.ENABLED, false);
        StreamExecutionEnvironment env = new StreamExecutionEnvironment(new Configuration());
        SubstrateJob.Pipeline pipeline = SubstrateJob.build(env, config, null);
        assertThat(pipeline.scheduling()).isNull();
        assertThat(pipeline.policies()).isNull();
        assertThat(uids(env))
                .noneMatch(uid -> uid.startsWith("scheduling-"))
                .anyMatch(uid -> uid.startsWith("telemetry-"));

        StreamExecutionEnvironment everything = new StreamExecutionEnvironment(new Configuration());
        Configuration defaults = new Configuration();
        defaults.set(SubstrateOptions.PII_KEY_FILE, key.toString());
        defaults.set(VectorOptions.ENABLED, false);
        assertThat(SubstrateJob.build(everything, defaults, null).scheduling()).isNotNull();
        assertThat(uids(everything)).contains("scheduling-readings");
    }

    /** The uids of every operator of the job (each sink's predecessors overlap: a set). */
    private static Set<String> uids(StreamExecutionEnvironment env) {
        Set<String> uids = new HashSet<>();
        for (Transformation<?> t : env.getTransformations()) {
            for (Transformation<?> each : t.getTransitivePredecessors()) {
                if (each.getUid() != null) {
                    uids.add(each.getUid());
                }
            }
        }
        return uids;
    }

    @Test
    void restartsWithBoundedBackOffUnlessTheJobOrClusterSaysOtherwise() {
        StreamExecutionEnvironment env = new StreamExecutionEnvironment(new Configuration());
        SubstrateJob.configureRuntime(env, new Configuration());
        ReadableConfig runtime = env.getConfiguration();
        assertThat(runtime.get(RestartStrategyOptions.RESTART_STRATEGY))
                .isEqualTo("exponential-delay");
        assertThat(runtime.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS))
                .as("bounded: a failure that keeps coming back fails the job")
                .isEqualTo(SubstrateJob.RESTART_ATTEMPTS);
        assertThat(
                        runtime.get(
                                RestartStrategyOptions
                                        .RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF))
                .isEqualTo(Duration.ofMinutes(1));

        Configuration jobOption = new Configuration();
        jobOption.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        StreamExecutionEnvironment byOption = new StreamExecutionEnvironment(new Configuration());
        SubstrateJob.configureRuntime(byOption, jobOption);
        assertThat(byOption.getConfiguration().getOptional(RestartStrategyOptions.RESTART_STRATEGY))
                .as("an explicit choice is the job's, not overridden")
                .isNotEqualTo(Optional.of("exponential-delay"));

        Configuration cluster = new Configuration();
        cluster.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment onCluster = new StreamExecutionEnvironment(cluster);
        SubstrateJob.configureRuntime(onCluster, new Configuration());
        assertThat(onCluster.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY))
                .isEqualTo("none");
    }
}
