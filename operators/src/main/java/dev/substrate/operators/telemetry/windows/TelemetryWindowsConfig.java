package dev.substrate.operators.telemetry.windows;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the telemetry windows. Event time is not theirs to set: the readings arrive with the
 * job's timestamps and watermarks, assigned once where the ingest reads.
 *
 * @param allowedLateness how long after a window closed a late reading still updates it (the
 *     window's row is then emitted again with the update); later readings go to the late output
 * @param maxGap intervals between two readings of a GPU longer than this are gaps: not integrated
 *     into energy or clock-event time
 * @param quantiles whether to compute p50/p95/p99 (DDSketch, 1% relative accuracy)
 * @param quietClose once event time has stood still and the readings have stopped for this long
 *     (processing time), open windows close without waiting for the watermark, marked as closed by
 *     quiet time; zero closes by the watermark only (see {@link TelemetryWindows})
 */
public record TelemetryWindowsConfig(
        Duration allowedLateness, Duration maxGap, boolean quantiles, Duration quietClose)
        implements Serializable {

    /** The default quiet close: two minutes, longer than a minute window plus its delays. */
    public static final Duration DEFAULT_QUIET_CLOSE = Duration.ofMinutes(2);

    public TelemetryWindowsConfig {
        Objects.requireNonNull(allowedLateness, "allowedLateness");
        Objects.requireNonNull(maxGap, "maxGap");
        Objects.requireNonNull(quietClose, "quietClose");
        if (maxGap.isNegative() || maxGap.isZero()) {
            throw new IllegalArgumentException("maxGap must be positive, got " + maxGap);
        }
        if (quietClose.isNegative()) {
            throw new IllegalArgumentException(
                    "quietClose must not be negative (zero disables it), got " + quietClose);
        }
    }

    /**
     * Defaults for nvidia-smi (sub-second) and DCGM (15–30 s) sampling: no allowed lateness (late
     * readings go to the late output), 60 s maximum gap, quantiles on, windows closed after 2
     * minutes of quiet.
     */
    public static TelemetryWindowsConfig defaults() {
        return new TelemetryWindowsConfig(
                Duration.ZERO, Duration.ofSeconds(60), true, DEFAULT_QUIET_CLOSE);
    }

    public TelemetryWindowsConfig withAllowedLateness(Duration lateness) {
        return new TelemetryWindowsConfig(lateness, maxGap, quantiles, quietClose);
    }

    public TelemetryWindowsConfig withQuietClose(Duration quiet) {
        return new TelemetryWindowsConfig(allowedLateness, maxGap, quantiles, quiet);
    }
}
