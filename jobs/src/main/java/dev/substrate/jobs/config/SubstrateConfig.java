package dev.substrate.jobs.config;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.ParameterTool;

/**
 * Builds a job's {@link Configuration} from the command line and the environment, in the precedence
 * written down in {@link SubstrateOptions}.
 */
public final class SubstrateConfig {

    static final String ENV_PREFIX = "SUBSTRATE_";

    private SubstrateConfig() {}

    /**
     * Returns the options given as {@code --key value} arguments over {@code SUBSTRATE_KEY}
     * environment variables over {@code base}.
     */
    public static Configuration resolve(
            Configuration base, Map<String, String> environment, String[] args) {
        Map<String, String> merged = new HashMap<>(base.toMap());
        merged.putAll(fromEnvironment(environment));
        merged.putAll(ParameterTool.fromArgs(args).toMap());
        return Configuration.fromMap(merged);
    }

    /** {@code SUBSTRATE_KAFKA_BOOTSTRAP_SERVERS} becomes {@code kafka.bootstrap-servers}. */
    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> options = new HashMap<>();
        for (String option : SubstrateOptions.keys()) {
            String variable = ENV_PREFIX + option.toUpperCase(Locale.ROOT).replaceAll("[.-]", "_");
            String value = environment.get(variable);
            if (value != null) {
                options.put(option, value);
            }
        }
        return options;
    }
}
