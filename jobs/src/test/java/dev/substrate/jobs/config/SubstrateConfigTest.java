package dev.substrate.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.jobs.telemetry.FleetHealthOptions;
import dev.substrate.jobs.telemetry.TelemetryWindowsOptions;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** Arguments win over environment variables, which win over the base configuration. */
class SubstrateConfigTest {

    @Test
    void argumentsOverEnvironmentOverBase() {
        Configuration base = new Configuration();
        base.set(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS, "base:9092");
        base.set(SubstrateOptions.REGISTRY_URL, "http://base:8081");
        base.set(SubstrateOptions.KAFKA_GROUP_ID, "base-group");
        Map<String, String> env =
                Map.of(
                        "SUBSTRATE_KAFKA_BOOTSTRAP_SERVERS", "env:9092",
                        "SUBSTRATE_REGISTRY_URL", "http://env:8081",
                        "UNRELATED", "ignored");

        Configuration resolved =
                SubstrateConfig.resolve(
                        base, env, new String[] {"--kafka.bootstrap-servers", "arg:9092"});

        assertThat(resolved.get(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS)).isEqualTo("arg:9092");
        assertThat(resolved.get(SubstrateOptions.REGISTRY_URL)).isEqualTo("http://env:8081");
        assertThat(resolved.get(SubstrateOptions.KAFKA_GROUP_ID)).isEqualTo("base-group");
        assertThat(resolved.get(SubstrateOptions.PARALLELISM))
                .isEqualTo(SubstrateOptions.PARALLELISM.defaultValue());
    }

    @Test
    void everyOptionHasAnEnvironmentVariable() {
        assertThat(SubstrateOptions.keys())
                .contains("kafka.bootstrap-servers", "registry.url", "catalog.type");
        Configuration resolved =
                SubstrateConfig.resolve(
                        new Configuration(),
                        Map.of("SUBSTRATE_CHECKPOINT_INTERVAL", "7 s"),
                        new String[0]);
        assertThat(resolved.get(SubstrateOptions.CHECKPOINT_INTERVAL).toSeconds()).isEqualTo(7);
    }

    @Test
    void telemetryOptionsComeFromTheEnvironmentToo() {
        Configuration resolved =
                SubstrateConfig.resolve(
                        new Configuration(),
                        Map.of(
                                "SUBSTRATE_TELEMETRY_HEALTH_HEARTBEAT_TIMEOUT", "45 s",
                                "SUBSTRATE_TELEMETRY_WINDOWS_TOPIC", "env.gpu-metrics"),
                        new String[] {"--telemetry.windows.topic", "arg.gpu-metrics"});
        assertThat(resolved.get(FleetHealthOptions.HEARTBEAT_TIMEOUT).toSeconds()).isEqualTo(45);
        assertThat(resolved.get(TelemetryWindowsOptions.TOPIC)).isEqualTo("arg.gpu-metrics");
    }

    @Test
    void theOldKeysOfTheThreeClocksStillSetTheOneClockWithAWarningNamingTheNewKey() {
        Configuration resolved =
                SubstrateConfig.resolve(
                        new Configuration(),
                        Map.of(),
                        new String[] {
                            "--telemetry.windows.out-of-orderness", "9 s",
                            "--telemetry.watermark.idleness", "12 s",
                            "--watermark.max-future-skew", "2 min"
                        });

        assertThat(resolved.get(EventTimeOptions.OUT_OF_ORDERNESS)).hasSeconds(9);
        assertThat(resolved.get(EventTimeOptions.IDLENESS)).hasSeconds(12);
        assertThat(resolved.get(EventTimeOptions.MAX_FUTURE_SKEW)).hasMinutes(2);
        assertThat(SubstrateConfig.deprecationWarnings(resolved.keySet()))
                .containsExactlyInAnyOrder(
                        "Option 'telemetry.windows.out-of-orderness' is deprecated and will be"
                                + " removed in the next release: use 'event-time.out-of-orderness'"
                                + " (one event-time clock for the whole job).",
                        "Option 'telemetry.watermark.idleness' is deprecated and will be removed"
                                + " in the next release: use 'event-time.idleness' (one event-time"
                                + " clock for the whole job).",
                        "Option 'watermark.max-future-skew' is deprecated and will be removed in"
                                + " the next release: use 'event-time.max-future-skew' (one"
                                + " event-time clock for the whole job).");
        assertThat(
                        SubstrateConfig.deprecationWarnings(
                                SubstrateConfig.resolve(
                                                new Configuration(),
                                                Map.of(),
                                                new String[] {"--event-time.idleness", "3 s"})
                                        .keySet()))
                .isEmpty();
    }

    @Test
    void theTopicsTheJobWritesComeFromItsStages() {
        Configuration config = new Configuration();
        config.set(TelemetryWindowsOptions.TOPIC, "custom.gpu-metrics");

        assertThat(dev.substrate.jobs.SubstrateJob.outputTopics(config))
                .containsExactly(
                        "substrate.dead-letters",
                        "custom.gpu-metrics",
                        "substrate.node-health",
                        "substrate.gpu-anomalies",
                        "substrate.cluster-capacity",
                        "substrate.scheduling-decisions",
                        "substrate.policy-violations");
        // The model registry is read, not written: a topic of the job, not an output.
        assertThat(dev.substrate.jobs.SubstrateJob.topics(config))
                .contains("substrate.model-registry");
        config.set(dev.substrate.jobs.policies.PolicyOptions.ENABLED, false);
        assertThat(dev.substrate.jobs.SubstrateJob.topics(config))
                .doesNotContain("substrate.model-registry", "substrate.policy-violations");
        config.set(dev.substrate.jobs.scheduling.SchedulingOptions.ENABLED, false);
        assertThat(dev.substrate.jobs.SubstrateJob.topics(config))
                .doesNotContain("substrate.scheduling-decisions")
                .contains("substrate.workload-requests");
    }
}
