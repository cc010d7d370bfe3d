package dev.substrate.operators.testing;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.annotation.Nullable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

/**
 * A test task environment (for an operator test harness) whose operators' counters can be read
 * back: by their name, or by the last two components of their group's scope and their name, e.g.
 * {@code quality.<rule>.evaluated}.
 */
public final class CapturedMetrics {

    private final Map<String, Counter> counters = new HashMap<>();
    private final MockEnvironment environment;

    public CapturedMetrics(String job, String task) {
        TestingMetricRegistry registry =
                TestingMetricRegistry.builder()
                        .setRegisterConsumer(
                                (metric, name, group) -> {
                                    if (metric instanceof Counter counter) {
                                        counters.put(name, counter);
                                        String[] scope = group.getScopeComponents();
                                        if (scope.length >= 2) {
                                            counters.put(
                                                    scope[scope.length - 2]
                                                            + "."
                                                            + scope[scope.length - 1]
                                                            + "."
                                                            + name,
                                                    counter);
                                        }
                                    }
                                })
                        .build();
        TaskMetricGroup group =
                TaskManagerMetricGroup.createTaskManagerMetricGroup(
                                registry, "localhost", ResourceID.generate())
                        .addJob(new JobID(), job)
                        .addTask(ExecutionAttemptID.randomId(), task);
        environment = new MockEnvironmentBuilder().setMetricGroup(group).build();
    }

    /** The environment to give the harness. */
    public MockEnvironment environment() {
        return environment;
    }

    /** The counter registered under {@code key} (a name or a scoped name), or null. */
    @Nullable
    public Counter counter(String key) {
        return counters.get(key);
    }

    /** The count of the counter {@code key}; 0 when no operator registered it. */
    public long count(String key) {
        Counter counter = counters.get(key);
        return counter == null ? 0 : counter.getCount();
    }

    /** Every key a counter is registered under, sorted. */
    public Set<String> keys() {
        return new TreeSet<>(counters.keySet());
    }
}
