package dev.substrate.operators.telemetry.windows;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class LateReadingsCounterTest {

    @Test
    void countsEveryLateReadingAndEmitsNothing() throws Exception {
        Map<String, Counter> counters = new HashMap<>();
        TestingMetricRegistry registry =
                TestingMetricRegistry.builder()
                        .setRegisterConsumer(
                                (metric, name, group) -> {
                                    if (metric instanceof Counter counter) {
                                        counters.put(name, counter);
                                    }
                                })
                        .build();
        TaskMetricGroup task =
                TaskManagerMetricGroup.createTaskManagerMetricGroup(
                                registry, "localhost", ResourceID.generate())
                        .addJob(new JobID(), "telemetry")
                        .addTask(ExecutionAttemptID.randomId(), "late readings");
        MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(task).build();
        try (OneInputStreamOperatorTestHarness<dev.substrate.events.GpuSample, Void> harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new LateReadingsCounter()), env)) {
            harness.open();
            for (int i = 0; i < 3; i++) {
                harness.processElement(
                        Readings.reading("GPU-a", "node-1", 1_000L * i, 50, 300), 1_000L * i);
            }
            assertThat(harness.extractOutputValues()).isEmpty();
        }
        assertThat(counters).containsKey(LateReadingsCounter.METRIC);
        assertThat(counters.get(LateReadingsCounter.METRIC).getCount()).isEqualTo(3);
    }
}
