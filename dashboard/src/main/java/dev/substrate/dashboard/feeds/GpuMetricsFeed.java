package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.tenants.TenantUsage;
import dev.substrate.events.GpuMetrics;
import dev.substrate.events.MetricsLevel;

/**
 * {@code substrate.gpu-metrics}: the 1-minute cluster rollups, one point per cluster and window in
 * event time (panel {@value #PANEL}, key {@code cluster|window_start}), so a late revision of a
 * window replaces its point. Utilization, power, temperature, energy and throttle reasons are all
 * in the row. The 1-minute node rows go to {@link TenantUsage} (energy per tenant); GPU rows and
 * the 5-minute windows stay in the lake.
 */
public final class GpuMetricsFeed extends TopicFeed<GpuMetrics> {

    public static final String PANEL = "cluster-windows";

    private final TenantUsage tenants;

    public GpuMetricsFeed(String topic, TenantUsage tenants) {
        super(topic, GpuMetrics.class);
        this.tenants = tenants;
    }

    @Override
    public void accept(GpuMetrics row, UpdateHub hub) {
        TenantUsage.publish(tenants.window(row), hub);
        if (row.getLevel() != MetricsLevel.CLUSTER || row.getWindowSizeS() != 60) {
            return;
        }
        hub.publish(
                PANEL,
                row.getCluster() + "|" + row.getWindowStart().toEpochMilli(),
                RecordJson.of(row).toString());
    }
}
