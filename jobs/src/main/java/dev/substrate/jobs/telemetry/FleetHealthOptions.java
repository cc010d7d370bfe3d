package dev.substrate.jobs.telemetry;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.substrate.operators.telemetry.anomaly.AnomalyConfig;
import dev.substrate.operators.telemetry.capacity.CapacityConfig;
import dev.substrate.operators.telemetry.health.NodeHealthConfig;
import dev.substrate.operators.telemetry.health.XidTriage;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The options of {@link FleetHealthStage}, typed, documented and defaulted; the stage's {@code
 * Settings.from} turns a configuration into its settings. Event time is the job's ({@link
 * dev.substrate.jobs.config.EventTimeOptions}).
 */
public final class FleetHealthOptions {

    public static final ConfigOption<Duration> HEARTBEAT_TIMEOUT =
            key("telemetry.health.heartbeat-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("Event time without samples after which a node is DOWN.");

    public static final ConfigOption<Duration> WALL_CLOCK_TIMEOUT =
            key("telemetry.health.wall-clock-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(2))
                    .withDescription(
                            "Wall-clock time without samples after which a node is DOWN even"
                                    + " though event time stands still (the whole stream"
                                    + " stopped). 0 disables this fallback.");

    public static final ConfigOption<Duration> HEALTH_RETENTION =
            key("telemetry.health.retention")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription("Event time after its last sample a node's state is kept.");

    public static final ConfigOption<Double> DEGRADED_TEMPERATURE =
            key("telemetry.health.degraded-temperature")
                    .doubleType()
                    .defaultValue(85.0)
                    .withDescription("GPU temperature (°C) that, sustained, degrades its node.");

    public static final ConfigOption<Double> RECOVERY_TEMPERATURE =
            key("telemetry.health.recovery-temperature")
                    .doubleType()
                    .defaultValue(80.0)
                    .withDescription("GPU temperature (°C) below which a hot GPU is cool again.");

    public static final ConfigOption<Duration> SUSTAINED_FOR =
            key("telemetry.health.sustained-for")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(60))
                    .withDescription("How long a GPU must stay hot before its node is DEGRADED.");

    public static final ConfigOption<Duration> DRAIN_HOLD =
            key("telemetry.health.drain-hold")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(30))
                    .withDescription(
                            "How long a drain XID keeps its node in DRAIN after its last"
                                    + " report.");

    public static final ConfigOption<Duration> WATCH_HOLD =
            key("telemetry.health.watch-hold")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(10))
                    .withDescription(
                            "How long a watch or application XID stays a reason after its last"
                                    + " report.");

    public static final ConfigOption<List<Integer>> DRAIN_XIDS =
            key("telemetry.health.drain-xids")
                    .intType()
                    .asList()
                    .defaultValues(48, 64, 74, 79, 94, 95)
                    .withDescription("XID codes that drain a node.");

    public static final ConfigOption<List<Integer>> WATCH_XIDS =
            key("telemetry.health.watch-xids")
                    .intType()
                    .asList()
                    .defaultValues(63, 92)
                    .withDescription("XID codes that put a node on WATCH.");

    public static final ConfigOption<List<Integer>> APPLICATION_XIDS =
            key("telemetry.health.application-xids")
                    .intType()
                    .asList()
                    .defaultValues(13, 31, 43, 45)
                    .withDescription(
                            "XID codes caused by applications: a reason, no node action. Codes"
                                    + " in no list are treated the same way.");

    public static final ConfigOption<Double> ANOMALY_ALPHA =
            key("telemetry.anomaly.alpha")
                    .doubleType()
                    .defaultValue(0.05)
                    .withDescription("EWMA weight of each new reading, in (0, 1].");

    public static final ConfigOption<Integer> ANOMALY_WARM_UP =
            key("telemetry.anomaly.warm-up")
                    .intType()
                    .defaultValue(30)
                    .withDescription("Readings per GPU that only train the baseline.");

    public static final ConfigOption<Double> ANOMALY_Z_THRESHOLD =
            key("telemetry.anomaly.z-threshold")
                    .doubleType()
                    .defaultValue(3.0)
                    .withDescription("A reading is out of band when |z| exceeds this.");

    public static final ConfigOption<Integer> ANOMALY_CONSECUTIVE =
            key("telemetry.anomaly.consecutive")
                    .intType()
                    .defaultValue(3)
                    .withDescription("Out-of-band readings in a row that make an anomaly.");

    public static final ConfigOption<Duration> ANOMALY_RETENTION =
            key("telemetry.anomaly.retention")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription("Event time after its last reading a GPU baseline is kept.");

    public static final ConfigOption<Duration> CAPACITY_INTERVAL =
            key("telemetry.capacity.report-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("Event time between two capacity reports of a cluster.");

    public static final ConfigOption<Double> FREE_UTILIZATION =
            key("telemetry.capacity.free-utilization-pct")
                    .doubleType()
                    .defaultValue(5.0)
                    .withDescription("A GPU is free below this utilization (%).");

    public static final ConfigOption<Double> FREE_MEMORY_FRACTION =
            key("telemetry.capacity.free-memory-fraction")
                    .doubleType()
                    .defaultValue(0.05)
                    .withDescription("... and below this fraction of its memory in use.");

    public static final ConfigOption<Duration> CAPACITY_STALE_AFTER =
            key("telemetry.capacity.stale-after")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("A GPU without a reading for this long is not free.");

    public static final ConfigOption<Duration> CAPACITY_RETENTION =
            key("telemetry.capacity.retention")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription("A GPU or node not heard of for this long is forgotten.");

    public static final ConfigOption<String> NODE_HEALTH_TOPIC =
            key("telemetry.node-health.topic")
                    .stringType()
                    .defaultValue("substrate.node-health")
                    .withDescription("Kafka topic of the node-health changelog.");

    public static final ConfigOption<String> ANOMALY_TOPIC =
            key("telemetry.gpu-anomalies.topic")
                    .stringType()
                    .defaultValue("substrate.gpu-anomalies")
                    .withDescription("Kafka topic of GPU anomaly events.");

    public static final ConfigOption<String> CAPACITY_TOPIC =
            key("telemetry.cluster-capacity.topic")
                    .stringType()
                    .defaultValue("substrate.cluster-capacity")
                    .withDescription("Kafka topic of cluster capacity reports.");

    private FleetHealthOptions() {}

    /** Node health from {@code config}. */
    public static NodeHealthConfig health(ReadableConfig config) {
        Duration wallClock = config.get(WALL_CLOCK_TIMEOUT);
        return new NodeHealthConfig(
                config.get(HEARTBEAT_TIMEOUT),
                wallClock.isZero() ? null : wallClock,
                config.get(HEALTH_RETENTION),
                config.get(DEGRADED_TEMPERATURE),
                config.get(RECOVERY_TEMPERATURE),
                config.get(SUSTAINED_FOR),
                config.get(DRAIN_HOLD),
                config.get(WATCH_HOLD),
                new XidTriage(
                        new HashSet<>(config.get(DRAIN_XIDS)),
                        new HashSet<>(config.get(WATCH_XIDS)),
                        new HashSet<>(config.get(APPLICATION_XIDS))));
    }

    /** Anomaly detection from {@code config}. */
    public static AnomalyConfig anomalies(ReadableConfig config) {
        AnomalyConfig defaults = AnomalyConfig.defaults();
        return new AnomalyConfig(
                config.get(ANOMALY_ALPHA),
                config.get(ANOMALY_WARM_UP),
                config.get(ANOMALY_Z_THRESHOLD),
                config.get(ANOMALY_CONSECUTIVE),
                defaults.utilizationStddevFloor(),
                defaults.powerStddevFloor(),
                defaults.temperatureStddevFloor(),
                config.get(ANOMALY_RETENTION));
    }

    /** Cluster capacity from {@code config}. */
    public static CapacityConfig capacity(ReadableConfig config) {
        return new CapacityConfig(
                config.get(CAPACITY_INTERVAL),
                config.get(FREE_UTILIZATION),
                config.get(FREE_MEMORY_FRACTION),
                config.get(CAPACITY_STALE_AFTER),
                config.get(CAPACITY_RETENTION));
    }
}
