package dev.substrate.operators.telemetry.capacity;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of {@link ClusterCapacityFunction}.
 *
 * @param reportInterval event time between two capacity records of a cluster (default 10 s)
 * @param freeUtilizationPct a GPU is free below this utilization (default 5 %)
 * @param freeMemoryFraction ... and below this fraction of its memory in use (default 0.05)
 * @param staleAfter a GPU without a reading for this long counts for nothing but the total (30 s)
 * @param retention a GPU or node not heard of for this long is forgotten (default 1 h)
 */
public record CapacityConfig(
        Duration reportInterval,
        double freeUtilizationPct,
        double freeMemoryFraction,
        Duration staleAfter,
        Duration retention)
        implements Serializable {

    public CapacityConfig {
        requirePositive(reportInterval, "reportInterval");
        requirePositive(staleAfter, "staleAfter");
        requirePositive(retention, "retention");
        if (!(freeUtilizationPct > 0 && freeUtilizationPct <= 100)) {
            throw new IllegalArgumentException(
                    "freeUtilizationPct must be in (0, 100]: " + freeUtilizationPct);
        }
        if (!(freeMemoryFraction > 0 && freeMemoryFraction <= 1)) {
            throw new IllegalArgumentException(
                    "freeMemoryFraction must be in (0, 1]: " + freeMemoryFraction);
        }
    }

    /** Every 10 s; free below 5 % utilization and 5 % memory; stale after 30 s; kept 1 h. */
    public static CapacityConfig defaults() {
        return new CapacityConfig(
                Duration.ofSeconds(10), 5.0, 0.05, Duration.ofSeconds(30), Duration.ofHours(1));
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + duration);
        }
    }
}
