package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.schemas.RecordIds;

/**
 * {@code substrate.gpu-anomalies}: each confirmed excursion of a GPU metric from its baseline
 * (panel {@value #PANEL}, keyed by the anomaly's record id).
 */
public final class GpuAnomalyFeed extends TopicFeed<GpuAnomaly> {

    public static final String PANEL = "gpu-anomalies";

    private final DashboardMetrics metrics;

    public GpuAnomalyFeed(String topic, DashboardMetrics metrics) {
        super(topic, GpuAnomaly.class);
        this.metrics = metrics;
    }

    @Override
    public void accept(GpuAnomaly anomaly, UpdateHub hub) {
        String id = RecordIds.of(anomaly);
        if (metrics.firstSeen(topic(), id)) {
            metrics.gpuAnomaly(anomaly.getMetric().name());
        }
        hub.publish(PANEL, id, RecordJson.of(anomaly).toString());
    }
}
