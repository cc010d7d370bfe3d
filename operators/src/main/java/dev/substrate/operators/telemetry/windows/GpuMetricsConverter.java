package dev.substrate.operators.telemetry.windows;

import dev.substrate.events.GpuMetrics;
import dev.substrate.events.MetricsLevel;
import dev.substrate.events.WindowClosedBy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns window aggregates into {@link GpuMetrics} rows: GPU windows and node/cluster rollups. */
public final class GpuMetricsConverter {

    /** Statistic columns per metric: {@code <metric>_<stat>}, e.g. {@code power_draw_w_p99}. */
    private static final String[] METRICS = {
        "utilization_pct", "power_draw_w", "temperature_c", "memory_used_mib"
    };

    private GpuMetricsConverter() {}

    /** The row of one GPU's window. */
    public static GpuMetrics fromGpu(GpuWindowAccumulator acc) {
        GpuMetrics row = base(acc.windowStart, acc.windowEnd, MetricsLevel.GPU);
        row.setRegion(acc.region);
        row.setCluster(acc.cluster);
        row.setNode(acc.node);
        row.setGpuUuid(acc.gpuUuid);
        row.setModel(acc.model);
        row.setGpuCount(1);
        row.setSampleCount(acc.sampleCount);
        putStats(row, acc.utilization, acc.power, acc.temperature, acc.memoryUsed);
        row.setEnergyJoules(acc.energyJoules());
        for (ClockEventReason reason : ClockEventReason.all()) {
            row.put(fractionColumn(reason), acc.fraction(reason));
        }
        row.setEccCorrectedDelta(acc.eccCorrectedDelta());
        row.setEccUncorrectedDelta(acc.eccUncorrectedDelta());
        row.setXidCodes(toList(acc.xids));
        row.setClosedBy(closedBy(acc.closedByQuietTime));
        return row;
    }

    /** The row of a node ({@code level} NODE) or cluster ({@code level} CLUSTER) rollup. */
    public static GpuMetrics fromRollup(RollupAccumulator acc, MetricsLevel level) {
        GpuMetrics row = base(acc.windowStart, acc.windowEnd, level);
        row.setRegion(acc.region);
        row.setCluster(acc.cluster);
        row.setNode(level == MetricsLevel.NODE ? acc.node : null);
        row.setGpuUuid(null);
        row.setModel(acc.model);
        row.setGpuCount(acc.gpuCount);
        row.setSampleCount(acc.sampleCount);
        putStats(row, acc.utilization, acc.power, acc.temperature, acc.memoryUsed);
        row.setEnergyJoules(acc.energy());
        for (ClockEventReason reason : ClockEventReason.all()) {
            row.put(fractionColumn(reason), acc.fraction(reason));
        }
        row.setEccCorrectedDelta(acc.eccCorrectedDelta);
        row.setEccUncorrectedDelta(acc.eccUncorrectedDelta);
        row.setXidCodes(toList(acc.xids));
        row.setClosedBy(closedBy(acc.closedByQuietTime));
        return row;
    }

    /** The column of a reason's time share, e.g. {@code sw_power_cap_fraction}. */
    public static String fractionColumn(ClockEventReason reason) {
        return reason.name().toLowerCase(Locale.ROOT) + "_fraction";
    }

    private static WindowClosedBy closedBy(boolean quiet) {
        return quiet ? WindowClosedBy.QUIET_TIME : WindowClosedBy.WATERMARK;
    }

    private static GpuMetrics base(long start, long end, MetricsLevel level) {
        GpuMetrics row = new GpuMetrics();
        row.setWindowStart(Instant.ofEpochMilli(start));
        row.setWindowEnd(Instant.ofEpochMilli(end));
        row.setWindowSizeS((int) ((end - start) / 1000));
        row.setLevel(level);
        return row;
    }

    private static void putStats(GpuMetrics row, MetricStats... stats) {
        for (int i = 0; i < METRICS.length; i++) {
            MetricStats s = stats[i];
            String m = METRICS[i];
            row.put(m + "_mean", s.mean());
            row.put(m + "_min", s.minimum());
            row.put(m + "_max", s.maximum());
            row.put(m + "_p50", s.quantile(0.50));
            row.put(m + "_p95", s.quantile(0.95));
            row.put(m + "_p99", s.quantile(0.99));
        }
    }

    private static List<Integer> toList(int[] values) {
        List<Integer> list = new ArrayList<>(values.length);
        for (int v : values) {
            list.add(v);
        }
        return list;
    }
}
