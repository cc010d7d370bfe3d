package dev.substrate.operators.telemetry.windows;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the telemetry windows.
 *
 * @param outOfOrderness how far behind the newest reading a reading may arrive and still be on time
 *     (the watermark lags by this much)
 * @param idleness after this long without readings an input split stops holding the watermark back
 * @param allowedLateness how long after a window closed a late reading still updates it (the
 *     window's row is then emitted again with the update); later readings go to the late output
 * @param maxGap intervals between two readings of a GPU longer than this are gaps: not integrated
 *     into energy or clock-event time
 * @param quantiles whether to compute p50/p95/p99 (DDSketch, 1% relative accuracy)
 */
public record TelemetryWindowsConfig(
        Duration outOfOrderness,
        Duration idleness,
        Duration allowedLateness,
        Duration maxGap,
        boolean quantiles)
        implements Serializable {

    public TelemetryWindowsConfig {
        Objects.requireNonNull(outOfOrderness, "outOfOrderness");
        Objects.requireNonNull(idleness, "idleness");
        Objects.requireNonNull(allowedLateness, "allowedLateness");
        Objects.requireNonNull(maxGap, "maxGap");
        if (maxGap.isNegative() || maxGap.isZero()) {
            throw new IllegalArgumentException("maxGap must be positive, got " + maxGap);
        }
    }

    /**
     * Defaults for nvidia-smi (sub-second) and DCGM (15–30 s) sampling: 10 s out of order, 30 s
     * idleness, no allowed lateness (late readings go to the late output), 60 s maximum gap,
     * quantiles on.
     */
    public static TelemetryWindowsConfig defaults() {
        return new TelemetryWindowsConfig(
                Duration.ofSeconds(10),
                Duration.ofSeconds(30),
                Duration.ZERO,
                Duration.ofSeconds(60),
                true);
    }

    public TelemetryWindowsConfig withAllowedLateness(Duration lateness) {
        return new TelemetryWindowsConfig(outOfOrderness, idleness, lateness, maxGap, quantiles);
    }

    public TelemetryWindowsConfig withOutOfOrderness(Duration delay) {
        return new TelemetryWindowsConfig(delay, idleness, allowedLateness, maxGap, quantiles);
    }
}
