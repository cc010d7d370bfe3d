package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.events.GpuMetrics;
import dev.substrate.events.MetricsLevel;

/**
 * {@code substrate.gpu-metrics}: the 1-minute cluster rollups, one point per cluster and window in
 * event time (panel {@value #PANEL}, key {@code cluster|window_start}), so a late revision of a
 * window replaces its point. Utilization, power, temperature, energy and throttle reasons are all
 * in the row. GPU and node rows, and the 5-minute windows, stay in the lake.
 */
public final class GpuMetricsFeed extends TopicFeed<GpuMetrics> {

    public static final String PANEL = "cluster-windows";

    public GpuMetricsFeed(String topic) {
        super(topic, GpuMetrics.class);
    }

    @Override
    public void accept(GpuMetrics row, UpdateHub hub) {
        if (row.getLevel() != MetricsLevel.CLUSTER || row.getWindowSizeS() != 60) {
            return;
        }
        hub.publish(
                PANEL,
                row.getCluster() + "|" + row.getWindowStart().toEpochMilli(),
                RecordJson.of(row).toString());
    }
}
