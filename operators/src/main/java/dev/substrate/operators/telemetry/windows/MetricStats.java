package dev.substrate.operators.telemetry.windows;

import javax.annotation.Nullable;

/**
 * Count, sum, min, max and (optionally) a quantile sketch of one metric in a window. A Flink POJO:
 * public fields, no-arg constructor. Readings that are NaN (nvidia-smi's {@code [N/A]}) are not
 * counted, so the mean is over the readings that had a value.
 */
public class MetricStats {

    public long count;
    public double sum;
    public double min = Double.POSITIVE_INFINITY;
    public double max = Double.NEGATIVE_INFINITY;

    /** Null when quantiles are not computed (the SQL-comparable benchmark set). */
    @Nullable public QuantileSketch sketch;

    public MetricStats() {}

    /** Empty statistics, with a sketch when {@code quantiles}. */
    public static MetricStats create(boolean quantiles) {
        MetricStats stats = new MetricStats();
        stats.sketch = quantiles ? new QuantileSketch() : null;
        return stats;
    }

    public void add(double value) {
        if (value != value) { // NaN: the reading had no value
            return;
        }
        count++;
        sum += value;
        if (value < min) {
            min = value;
        }
        if (value > max) {
            max = value;
        }
        if (sketch != null) {
            sketch.add(value);
        }
    }

    /** Adds {@code other}'s readings to these; {@code other} is left unchanged. */
    public void merge(MetricStats other) {
        count += other.count;
        sum += other.sum;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
        if (other.sketch != null) {
            if (sketch == null) {
                sketch = other.sketch.copy();
            } else {
                sketch.merge(other.sketch);
            }
        }
    }

    public MetricStats copy() {
        MetricStats copy = new MetricStats();
        copy.merge(this);
        return copy;
    }

    /** The mean, or null without readings. */
    @Nullable
    public Double mean() {
        return count == 0 ? null : sum / count;
    }

    @Nullable
    public Double minimum() {
        return count == 0 ? null : min;
    }

    @Nullable
    public Double maximum() {
        return count == 0 ? null : max;
    }

    /** The value at quantile {@code q} from the sketch, or null without readings or sketch. */
    @Nullable
    public Double quantile(double q) {
        return count == 0 || sketch == null || sketch.isEmpty() ? null : sketch.quantile(q);
    }
}
