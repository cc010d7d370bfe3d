package dev.substrate.operators.telemetry.anomaly;

/**
 * The exponentially weighted mean and variance of one metric of one GPU, and the excursion in
 * progress. A Flink POJO held in {@link GpuBaselines}.
 *
 * <p>Mean and variance follow the incremental EWMA form: with {@code d = x - mean}, {@code mean +=
 * alpha * d} and {@code variance = (1 - alpha) * (variance + alpha * d * d)}. Every reading updates
 * the baseline, in band or not, so a lasting change of level (a job starting) is one excursion that
 * ends once the band has adapted, not an alarm that never stops.
 */
public class EwmaBaseline {

    public long count;
    public double mean;
    public double variance;

    /** Out-of-band readings in a row. */
    public int outOfBand;

    /** Event time of the first out-of-band reading of the current excursion. */
    public long excursionStartedAt;

    public EwmaBaseline() {}

    /** Folds {@code x} into the mean and variance. */
    public void update(double x, double alpha) {
        if (count == 0) {
            mean = x;
            variance = 0;
        } else {
            double d = x - mean;
            double increment = alpha * d;
            mean += increment;
            variance = (1 - alpha) * (variance + d * increment);
        }
        if (count < Long.MAX_VALUE) {
            count++;
        }
    }

    /** The standard deviation, at least {@code floor}. */
    public double stddev(double floor) {
        return Math.max(Math.sqrt(variance), floor);
    }
}
