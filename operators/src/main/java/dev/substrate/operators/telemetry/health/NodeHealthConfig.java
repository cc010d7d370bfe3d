package dev.substrate.operators.telemetry.health;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Thresholds of {@link NodeHealthFunction}.
 *
 * @param heartbeatTimeout event time without samples after which a node is DOWN (default 30 s)
 * @param wallClockTimeout wall-clock time without samples after which a node is DOWN even though
 *     event time stands still (the whole stream went quiet); null disables this fallback
 * @param retention event time without samples after which a node's state is dropped (default 1 h)
 * @param degradedTemperatureC a GPU at or above this temperature is hot (default 85 °C)
 * @param recoveryTemperatureC a hot GPU is cool again below this temperature (default 80 °C)
 * @param sustainedFor how long a GPU must stay hot before its node is DEGRADED (default 60 s)
 * @param drainHold how long a drain XID keeps the node in DRAIN after its last report (30 min)
 * @param watchHold how long a watch or recorded XID stays a reason after its last report (10 min)
 * @param xids the XID triage table
 */
public record NodeHealthConfig(
        Duration heartbeatTimeout,
        @Nullable Duration wallClockTimeout,
        Duration retention,
        double degradedTemperatureC,
        double recoveryTemperatureC,
        Duration sustainedFor,
        Duration drainHold,
        Duration watchHold,
        XidTriage xids)
        implements Serializable {

    public NodeHealthConfig {
        requirePositive(heartbeatTimeout, "heartbeatTimeout");
        if (wallClockTimeout != null) {
            requirePositive(wallClockTimeout, "wallClockTimeout");
        }
        requirePositive(retention, "retention");
        Objects.requireNonNull(sustainedFor, "sustainedFor");
        requirePositive(drainHold, "drainHold");
        requirePositive(watchHold, "watchHold");
        Objects.requireNonNull(xids, "xids");
        if (retention.compareTo(heartbeatTimeout) <= 0) {
            throw new IllegalArgumentException(
                    "retention ("
                            + retention
                            + ") must be longer than heartbeatTimeout ("
                            + heartbeatTimeout
                            + "): a node is dropped only after it has been DOWN");
        }
        if (recoveryTemperatureC > degradedTemperatureC) {
            throw new IllegalArgumentException(
                    "recoveryTemperatureC ("
                            + recoveryTemperatureC
                            + ") must not exceed degradedTemperatureC ("
                            + degradedTemperatureC
                            + ")");
        }
    }

    /**
     * 30 s heartbeat, 2 min wall-clock fallback, 1 h retention, 85/80 °C for 60 s, default XIDs.
     */
    public static NodeHealthConfig defaults() {
        return new NodeHealthConfig(
                Duration.ofSeconds(30),
                Duration.ofMinutes(2),
                Duration.ofHours(1),
                85.0,
                80.0,
                Duration.ofSeconds(60),
                Duration.ofMinutes(30),
                Duration.ofMinutes(10),
                XidTriage.defaults());
    }

    public NodeHealthConfig withHeartbeatTimeout(Duration timeout) {
        return new NodeHealthConfig(
                timeout,
                wallClockTimeout,
                retention,
                degradedTemperatureC,
                recoveryTemperatureC,
                sustainedFor,
                drainHold,
                watchHold,
                xids);
    }

    public NodeHealthConfig withWallClockTimeout(@Nullable Duration timeout) {
        return new NodeHealthConfig(
                heartbeatTimeout,
                timeout,
                retention,
                degradedTemperatureC,
                recoveryTemperatureC,
                sustainedFor,
                drainHold,
                watchHold,
                xids);
    }

    public NodeHealthConfig withRetention(Duration newRetention) {
        return new NodeHealthConfig(
                heartbeatTimeout,
                wallClockTimeout,
                newRetention,
                degradedTemperatureC,
                recoveryTemperatureC,
                sustainedFor,
                drainHold,
                watchHold,
                xids);
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + duration);
        }
    }
}
