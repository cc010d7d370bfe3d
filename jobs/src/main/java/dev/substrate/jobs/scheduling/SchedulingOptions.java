package dev.substrate.jobs.scheduling;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.substrate.operators.scheduling.config.SchedulerConfig;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The options of {@link SchedulingStage}, typed, documented and defaulted. The scheduler's policy
 * and the tenants' quotas live in the quota file, so that {@code substrate replay} can run history
 * under another file; these options say where the file is and where decisions go.
 */
public final class SchedulingOptions {

    public static final ConfigOption<Boolean> ENABLED =
            key("scheduling.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Whether the job makes scheduling decisions at all. Off, workload"
                                    + " requests still land in their raw table, and the quota"
                                    + " abuse policy has no decisions to read.");

    public static final ConfigOption<String> QUOTA_FILE =
            key("scheduling.quota-file")
                    .stringType()
                    .defaultValue("")
                    .withDescription(
                            "The scheduler's quota file (YAML): its policy, the shared pool and"
                                    + " each tenant's quota. A path, or classpath:<resource>;"
                                    + " empty for the bundled "
                                    + SchedulerConfig.DEFAULT_RESOURCE
                                    + ", sized for the sample fleet. Checked when the job"
                                    + " starts: a defect stops it with the file, line and"
                                    + " reason.");

    public static final ConfigOption<String> DECISIONS_TOPIC =
            key("scheduling.decisions.topic")
                    .stringType()
                    .defaultValue("substrate.scheduling-decisions")
                    .withDescription(
                            "Kafka topic of the scheduling decisions (key: request id, so one"
                                    + " request's decisions stay in order).");

    private SchedulingOptions() {}

    /** The quota file {@code config} names, read and checked. */
    public static SchedulerConfig schedulerConfig(ReadableConfig config) {
        return SchedulerConfig.load(config.get(QUOTA_FILE));
    }
}
