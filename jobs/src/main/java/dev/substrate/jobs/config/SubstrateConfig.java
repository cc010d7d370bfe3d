package dev.substrate.jobs.config;

import dev.substrate.jobs.lake.LakeMaintenanceOptions;
import dev.substrate.jobs.policies.PolicyOptions;
import dev.substrate.jobs.scheduling.SchedulingOptions;
import dev.substrate.jobs.telemetry.FleetHealthOptions;
import dev.substrate.jobs.telemetry.TelemetryWindowsOptions;
import dev.substrate.jobs.vectors.VectorOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.util.ParameterTool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a job's {@link Configuration} from the command line and the environment, in the precedence
 * written down in {@link SubstrateOptions}.
 */
public final class SubstrateConfig {

    private static final Logger LOG = LoggerFactory.getLogger(SubstrateConfig.class);

    static final String ENV_PREFIX = "SUBSTRATE_";

    /** Every class declaring job options; each option can also come from the environment. */
    static final List<Class<?>> OPTION_HOLDERS =
            List.of(
                    SubstrateOptions.class,
                    EventTimeOptions.class,
                    TelemetryWindowsOptions.class,
                    FleetHealthOptions.class,
                    LakeMaintenanceOptions.class,
                    SchedulingOptions.class,
                    PolicyOptions.class,
                    VectorOptions.class);

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
        deprecationWarnings(merged.keySet()).forEach(LOG::warn);
        return Configuration.fromMap(merged);
    }

    /**
     * One warning per deprecated key among {@code keys}, naming the key to use instead; the old key
     * still works for this release.
     */
    static List<String> deprecationWarnings(Collection<String> keys) {
        List<String> warnings = new ArrayList<>();
        for (Class<?> holder : OPTION_HOLDERS) {
            for (ConfigOption<?> option : SubstrateOptions.optionsOf(holder)) {
                for (FallbackKey fallback : option.fallbackKeys()) {
                    if (fallback.isDeprecated() && keys.contains(fallback.getKey())) {
                        warnings.add(
                                "Option '"
                                        + fallback.getKey()
                                        + "' is deprecated and will be removed in the next"
                                        + " release: use '"
                                        + option.key()
                                        + "' (one event-time clock for the whole job).");
                    }
                }
            }
        }
        return warnings;
    }

    /**
     * {@code SUBSTRATE_KAFKA_BOOTSTRAP_SERVERS} becomes {@code kafka.bootstrap-servers}, {@code
     * SUBSTRATE_TELEMETRY_HEALTH_HEARTBEAT_TIMEOUT} {@code telemetry.health.heartbeat-timeout}.
     */
    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> options = new HashMap<>();
        List<String> keys = new ArrayList<>();
        OPTION_HOLDERS.forEach(holder -> keys.addAll(SubstrateOptions.keysOf(holder)));
        for (String option : keys) {
            String variable = ENV_PREFIX + option.toUpperCase(Locale.ROOT).replaceAll("[.-]", "_");
            String value = environment.get(variable);
            if (value != null) {
                options.put(option, value);
            }
        }
        return options;
    }
}
