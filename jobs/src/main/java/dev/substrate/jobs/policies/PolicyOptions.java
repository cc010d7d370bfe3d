package dev.substrate.jobs.policies;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.substrate.operators.policies.PolicyDetector;
import dev.substrate.operators.policies.PolicyFile;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The options of {@link PolicyStage}, typed, documented and defaulted; the stage's {@code
 * Settings.from} turns a configuration into its settings. The policies themselves are in the policy
 * file ({@link #FILE}).
 */
public final class PolicyOptions {

    public static final ConfigOption<Boolean> ENABLED =
            key("policies.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Whether the job detects policy violations at all.");

    public static final ConfigOption<String> FILE =
            key("policies.file")
                    .stringType()
                    .defaultValue(PolicyFile.DEFAULT)
                    .withDescription(
                            "The policy file (YAML): a path, or classpath:<resource>. The default"
                                    + " is the catalogue shipped in the job jar. Read and checked"
                                    + " when the job is built: a broken file stops the start with"
                                    + " the file, the policy and the reason.");

    public static final ConfigOption<String> VIOLATIONS_TOPIC =
            key("policies.violations.topic")
                    .stringType()
                    .defaultValue("substrate.policy-violations")
                    .withDescription("Kafka topic of policy violations.");

    public static final ConfigOption<String> MODEL_REGISTRY_TOPIC =
            key("policies.model-registry.topic")
                    .stringType()
                    .defaultValue("substrate.model-registry")
                    .withDescription(
                            "Compacted Kafka topic of the approved model registry, read as a"
                                    + " broadcast stream from its beginning: key"
                                    + " <model>:<version>, value approved or revoked (a tombstone"
                                    + " revokes), the record's timestamp is when the change"
                                    + " holds.");

    public static final ConfigOption<Double> TOKEN_BASELINE_ALPHA =
            key("policies.token-baseline.alpha")
                    .doubleType()
                    .defaultValue(PolicyDetector.TokenBaseline.defaults().alpha())
                    .withDescription(
                            "EWMA weight of each invocation in a principal's token baseline.");

    public static final ConfigOption<Integer> TOKEN_BASELINE_WARM_UP =
            key("policies.token-baseline.warm-up")
                    .intType()
                    .defaultValue(PolicyDetector.TokenBaseline.defaults().warmUp())
                    .withDescription("Invocations of a principal that only train its baseline.");

    public static final ConfigOption<Double> TOKEN_BASELINE_CAP =
            key("policies.token-baseline.cap")
                    .doubleType()
                    .defaultValue(PolicyDetector.TokenBaseline.defaults().cap())
                    .withDescription(
                            "Invocations above this multiple of the baseline do not move it.");

    private PolicyOptions() {}

    /** The token baseline of {@code config}. */
    public static PolicyDetector.TokenBaseline tokenBaseline(ReadableConfig config) {
        return new PolicyDetector.TokenBaseline(
                config.get(TOKEN_BASELINE_ALPHA),
                config.get(TOKEN_BASELINE_WARM_UP),
                config.get(TOKEN_BASELINE_CAP));
    }
}
