package dev.substrate.operators.telemetry.windows;

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

/** A test task environment whose operators' counters can be read back by name. */
final class CapturedMetrics {

    private final Map<String, Counter> counters = new HashMap<>();
    private final MockEnvironment environment;

    CapturedMetrics(String task) {
        TestingMetricRegistry registry =
                TestingMetricRegistry.builder()
                        .setRegisterConsumer(
                                (metric, name, group) -> {
                                    if (metric instanceof Counter counter) {
                                        counters.put(name, counter);
                                    }
                                })
                        .build();
        TaskMetricGroup group =
                TaskManagerMetricGroup.createTaskManagerMetricGroup(
                                registry, "localhost", ResourceID.generate())
                        .addJob(new JobID(), "telemetry")
                        .addTask(ExecutionAttemptID.randomId(), task);
        environment = new MockEnvironmentBuilder().setMetricGroup(group).build();
    }

    MockEnvironment environment() {
        return environment;
    }

    /** The count of the counter {@code name}; 0 when no operator registered it. */
    long count(String name) {
        Counter counter = counters.get(name);
        return counter == null ? 0 : counter.getCount();
    }
}
