package dev.substrate.operators.telemetry.windows;

import dev.substrate.events.GpuSample;
import dev.substrate.operators.windows.WindowPartial;
import java.util.Arrays;
import javax.annotation.Nullable;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * The running aggregate of one GPU's readings in one window, updated reading by reading (never a
 * buffer of readings). Serialized by {@link GpuWindowAccumulatorTypeInfo}, its sketches by {@link
 * QuantileSketchTypeInfo}.
 *
 * <p>Time-weighted quantities use the readings' timestamps:
 *
 * <ul>
 *   <li><b>Energy</b>: trapezoids of power between consecutive readings, i.e. {@code (p1 + p2) / 2
 *       * (t2 - t1)}; {@link #energyJoules()} scales the sum by {@code (k + 1) / k} for {@code k}
 *       intervals, so that n readings stand for n sampling intervals (otherwise the interval that
 *       straddles each window boundary would be lost, 1 in 60 at one reading a second).
 *   <li><b>Clock-event reasons</b>: each interval between consecutive readings counts half for the
 *       reasons active at its start and half for those at its end (the same midpoint rule); the
 *       fraction is that time over the time covered. A window with a single reading reports 1 or 0.
 * </ul>
 *
 * <p>Intervals longer than the maximum gap are not integrated: the GPU did not report, so nothing
 * is known about its power then. A reading that arrives out of order and falls between the first
 * and the last reading seen so far counts in the statistics but not in the integrals, which already
 * span its time by interpolation; one before the first or after the last extends them.
 */
@TypeInfo(GpuWindowAccumulatorTypeInfo.Factory.class)
public class GpuWindowAccumulator implements WindowPartial {

    public long windowStart;
    public long windowEnd;

    /**
     * Stamped when the window fires: true when it closed by quiet time, before the watermark
     * reached its end (see {@code QuietClosingWindowOperator}). Not part of the aggregate: merging
     * leaves it alone.
     */
    public boolean closedByQuietTime;

    @Nullable public String region;
    @Nullable public String cluster;
    @Nullable public String node;
    @Nullable public String gpuUuid;
    @Nullable public String model;

    public long sampleCount;
    public MetricStats utilization;
    public MetricStats power;
    public MetricStats temperature;
    public MetricStats memoryUsed;

    /** First and last reading with a power value, and the trapezoid sum between them [W·ms]. */
    public long powerFirstTs = Long.MAX_VALUE;

    public double powerFirst;
    public long powerLastTs = Long.MIN_VALUE;
    public double powerLast;
    public double powerIntegralWms;
    public int powerIntervals;

    /** First and last reading, their reasons, and the time covered by intervals [ms]. */
    public long firstTs = Long.MAX_VALUE;

    public long firstReasons;
    public long lastTs = Long.MIN_VALUE;
    public long lastReasons;
    public long coveredMs;

    /** Per {@link ClockEventReason}, the time [ms] it was active, and readings it was active in. */
    public double[] reasonMs = new double[ClockEventReason.COUNT];

    public long[] reasonReadings = new long[ClockEventReason.COUNT];

    public long eccCorrectedMin = Long.MAX_VALUE;
    public long eccCorrectedMax = Long.MIN_VALUE;
    public long eccUncorrectedMin = Long.MAX_VALUE;
    public long eccUncorrectedMax = Long.MIN_VALUE;

    /** Distinct non-zero XID codes, ascending. */
    public int[] xids = new int[0];

    public GpuWindowAccumulator() {}

    @Override
    public void stamp(String key, long start, long end) {
        windowStart = start;
        windowEnd = end;
    }

    /** An empty accumulator, with quantile sketches when {@code quantiles}. */
    public static GpuWindowAccumulator create(boolean quantiles) {
        GpuWindowAccumulator acc = new GpuWindowAccumulator();
        acc.utilization = MetricStats.create(quantiles);
        acc.power = MetricStats.create(quantiles);
        acc.temperature = MetricStats.create(quantiles);
        acc.memoryUsed = MetricStats.create(quantiles);
        return acc;
    }

    /** Adds one reading; intervals longer than {@code maxGapMs} are gaps, not integrated. */
    public void add(GpuSample sample, long maxGapMs) {
        if (gpuUuid == null) {
            region = sample.getRegion();
            cluster = sample.getCluster();
            node = sample.getNode();
            gpuUuid = sample.getGpuUuid();
            model = sample.getModel();
        }
        long ts = sample.getTimestamp().toEpochMilli();
        sampleCount++;
        double watts = sample.getPowerDrawW();
        utilization.add(sample.getUtilizationPct());
        power.add(watts);
        temperature.add(sample.getTemperatureC());
        memoryUsed.add((double) sample.getMemoryUsedMib());
        if (watts == watts) {
            addPower(ts, watts, maxGapMs);
        }
        addReasons(ts, sample.getClockEventReasons(), maxGapMs);

        long corrected = sample.getEccCorrected();
        long uncorrected = sample.getEccUncorrected();
        eccCorrectedMin = Math.min(eccCorrectedMin, corrected);
        eccCorrectedMax = Math.max(eccCorrectedMax, corrected);
        eccUncorrectedMin = Math.min(eccUncorrectedMin, uncorrected);
        eccUncorrectedMax = Math.max(eccUncorrectedMax, uncorrected);
        int xid = sample.getXid();
        if (xid != 0) {
            addXid(xid);
        }
    }

    private void addPower(long ts, double watts, long maxGapMs) {
        if (powerFirstTs == Long.MAX_VALUE) {
            powerFirstTs = ts;
            powerFirst = watts;
            powerLastTs = ts;
            powerLast = watts;
        } else if (ts >= powerLastTs) {
            integratePower(powerLastTs, powerLast, ts, watts, maxGapMs);
            powerLastTs = ts;
            powerLast = watts;
        } else if (ts <= powerFirstTs) {
            integratePower(ts, watts, powerFirstTs, powerFirst, maxGapMs);
            powerFirstTs = ts;
            powerFirst = watts;
        }
    }

    private void integratePower(long t1, double p1, long t2, double p2, long maxGapMs) {
        long dt = t2 - t1;
        if (dt > 0 && dt <= maxGapMs) {
            powerIntegralWms += (p1 + p2) * 0.5 * dt;
            powerIntervals++;
        }
    }

    private void addReasons(long ts, long reasons, long maxGapMs) {
        ClockEventReason[] all = ClockEventReason.all();
        for (int i = 0; i < all.length; i++) {
            if ((reasons & all[i].bit()) != 0) {
                reasonReadings[i]++;
            }
        }
        if (firstTs == Long.MAX_VALUE) {
            firstTs = ts;
            firstReasons = reasons;
            lastTs = ts;
            lastReasons = reasons;
        } else if (ts >= lastTs) {
            integrateReasons(lastTs, lastReasons, ts, reasons, maxGapMs);
            lastTs = ts;
            lastReasons = reasons;
        } else if (ts <= firstTs) {
            integrateReasons(ts, reasons, firstTs, firstReasons, maxGapMs);
            firstTs = ts;
            firstReasons = reasons;
        }
    }

    private void integrateReasons(long t1, long r1, long t2, long r2, long maxGapMs) {
        long dt = t2 - t1;
        if (dt <= 0 || dt > maxGapMs) {
            return;
        }
        coveredMs += dt;
        long either = r1 | r2;
        if (either == 0) {
            return;
        }
        double half = dt * 0.5;
        ClockEventReason[] all = ClockEventReason.all();
        for (int i = 0; i < all.length; i++) {
            long bit = all[i].bit();
            if ((either & bit) != 0) {
                reasonMs[i] += ((r1 & bit) != 0 ? half : 0) + ((r2 & bit) != 0 ? half : 0);
            }
        }
    }

    private void addXid(int xid) {
        int at = Arrays.binarySearch(xids, xid);
        if (at < 0) {
            int insert = -at - 1;
            int[] grown = new int[xids.length + 1];
            System.arraycopy(xids, 0, grown, 0, insert);
            grown[insert] = xid;
            System.arraycopy(xids, insert, grown, insert + 1, xids.length - insert);
            xids = grown;
        }
    }

    /**
     * Adds the readings of {@code other}, an accumulator of the same GPU (an earlier or later
     * window, or a partial one), bridging the interval between the two when they do not overlap;
     * {@code other} is left unchanged.
     */
    public void merge(GpuWindowAccumulator other, long maxGapMs) {
        if (other.sampleCount == 0) {
            return;
        }
        if (gpuUuid == null) {
            region = other.region;
            cluster = other.cluster;
            node = other.node;
            gpuUuid = other.gpuUuid;
            model = other.model;
        }
        sampleCount += other.sampleCount;
        utilization.merge(other.utilization);
        power.merge(other.power);
        temperature.merge(other.temperature);
        memoryUsed.merge(other.memoryUsed);
        mergePower(other, maxGapMs);
        mergeReasons(other, maxGapMs);
        eccCorrectedMin = Math.min(eccCorrectedMin, other.eccCorrectedMin);
        eccCorrectedMax = Math.max(eccCorrectedMax, other.eccCorrectedMax);
        eccUncorrectedMin = Math.min(eccUncorrectedMin, other.eccUncorrectedMin);
        eccUncorrectedMax = Math.max(eccUncorrectedMax, other.eccUncorrectedMax);
        for (int xid : other.xids) {
            addXid(xid);
        }
    }

    private void mergePower(GpuWindowAccumulator other, long maxGapMs) {
        if (other.powerFirstTs == Long.MAX_VALUE) {
            return;
        }
        powerIntegralWms += other.powerIntegralWms;
        powerIntervals += other.powerIntervals;
        if (powerFirstTs == Long.MAX_VALUE) {
            powerFirstTs = other.powerFirstTs;
            powerFirst = other.powerFirst;
            powerLastTs = other.powerLastTs;
            powerLast = other.powerLast;
            return;
        }
        if (other.powerFirstTs >= powerLastTs) {
            integratePower(powerLastTs, powerLast, other.powerFirstTs, other.powerFirst, maxGapMs);
        } else if (other.powerLastTs <= powerFirstTs) {
            integratePower(other.powerLastTs, other.powerLast, powerFirstTs, powerFirst, maxGapMs);
        }
        if (other.powerFirstTs < powerFirstTs) {
            powerFirstTs = other.powerFirstTs;
            powerFirst = other.powerFirst;
        }
        if (other.powerLastTs > powerLastTs) {
            powerLastTs = other.powerLastTs;
            powerLast = other.powerLast;
        }
    }

    private void mergeReasons(GpuWindowAccumulator other, long maxGapMs) {
        coveredMs += other.coveredMs;
        for (int i = 0; i < ClockEventReason.COUNT; i++) {
            reasonMs[i] += other.reasonMs[i];
            reasonReadings[i] += other.reasonReadings[i];
        }
        if (firstTs == Long.MAX_VALUE) {
            firstTs = other.firstTs;
            firstReasons = other.firstReasons;
            lastTs = other.lastTs;
            lastReasons = other.lastReasons;
            return;
        }
        if (other.firstTs >= lastTs) {
            integrateReasons(lastTs, lastReasons, other.firstTs, other.firstReasons, maxGapMs);
        } else if (other.lastTs <= firstTs) {
            integrateReasons(other.lastTs, other.lastReasons, firstTs, firstReasons, maxGapMs);
        }
        if (other.firstTs < firstTs) {
            firstTs = other.firstTs;
            firstReasons = other.firstReasons;
        }
        if (other.lastTs > lastTs) {
            lastTs = other.lastTs;
            lastReasons = other.lastReasons;
        }
    }

    /** Energy in joules (see the class comment), or null with fewer than two power readings. */
    @Nullable
    public Double energyJoules() {
        if (powerIntervals == 0) {
            return null;
        }
        return powerIntegralWms / 1000.0 * (powerIntervals + 1) / powerIntervals;
    }

    /** The share of time (0 to 1) in which {@code reason} was active. */
    public double fraction(ClockEventReason reason) {
        int i = reason.ordinal();
        if (coveredMs > 0) {
            return reasonMs[i] / coveredMs;
        }
        // Readings at a single instant: the share of readings is all that is known.
        return sampleCount == 0 ? 0.0 : (double) reasonReadings[i] / sampleCount;
    }

    public long eccCorrectedDelta() {
        return sampleCount == 0 ? 0 : eccCorrectedMax - eccCorrectedMin;
    }

    public long eccUncorrectedDelta() {
        return sampleCount == 0 ? 0 : eccUncorrectedMax - eccUncorrectedMin;
    }
}
