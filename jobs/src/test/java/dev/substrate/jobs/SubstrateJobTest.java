package dev.substrate.jobs;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

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
}
