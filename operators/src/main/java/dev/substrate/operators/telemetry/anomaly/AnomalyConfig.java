package dev.substrate.operators.telemetry.anomaly;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of {@link GpuAnomalyFunction}.
 *
 * @param alpha EWMA weight of each new reading, in (0, 1] (default 0.05: a memory of ~20 readings)
 * @param warmUp readings per GPU that only train the baseline before any z-score counts (30)
 * @param zThreshold a reading is out of band when |z| exceeds this (default 3)
 * @param consecutive out-of-band readings in a row that make an anomaly (default 3)
 * @param utilizationStddevFloor smallest standard deviation used for utilization, in % (2)
 * @param powerStddevFloor smallest standard deviation used for power, in W (5)
 * @param temperatureStddevFloor smallest standard deviation used for temperature, in °C (1)
 * @param retention event time without readings after which a GPU's baseline is dropped (1 h)
 */
public record AnomalyConfig(
        double alpha,
        int warmUp,
        double zThreshold,
        int consecutive,
        double utilizationStddevFloor,
        double powerStddevFloor,
        double temperatureStddevFloor,
        Duration retention)
        implements Serializable {

    public AnomalyConfig {
        if (!(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1]: " + alpha);
        }
        if (warmUp < 1) {
            throw new IllegalArgumentException("warmUp must be at least 1: " + warmUp);
        }
        if (!(zThreshold > 0)) {
            throw new IllegalArgumentException("zThreshold must be positive: " + zThreshold);
        }
        if (consecutive < 1) {
            throw new IllegalArgumentException("consecutive must be at least 1: " + consecutive);
        }
        if (!(utilizationStddevFloor > 0 && powerStddevFloor > 0 && temperatureStddevFloor > 0)) {
            // A floor of zero makes a constant metric (an idle GPU at 0 %) alarm on any change.
            throw new IllegalArgumentException("standard deviation floors must be positive");
        }
        Objects.requireNonNull(retention, "retention");
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("retention must be positive: " + retention);
        }
    }

    /** alpha 0.05, 30 warm-up readings, |z| > 3 for 3 readings, floors 2 %, 5 W, 1 °C, 1 h. */
    public static AnomalyConfig defaults() {
        return new AnomalyConfig(0.05, 30, 3.0, 3, 2.0, 5.0, 1.0, Duration.ofHours(1));
    }
}
