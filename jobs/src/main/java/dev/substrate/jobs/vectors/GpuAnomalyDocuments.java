package dev.substrate.jobs.vectors;

import dev.substrate.events.GpuAnomaly;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.schemas.RecordIds;
import dev.substrate.vectors.VectorDocument;
import java.util.Locale;

/**
 * GPU anomalies as documents: which GPU, which metric, how far from its baseline and for how long.
 *
 * <p>Text: {@code GPU 3 (GPU-..., NVIDIA H100 80GB HBM3) on node n7 in cluster h100-a (us-east-1):
 * power draw 698.0 W is 4.8 standard deviations above its baseline of 412.5 W (±59.2 W) for 3
 * readings since <time>.}
 */
public final class GpuAnomalyDocuments implements DocumentMapper<GpuAnomaly> {

    private static final long serialVersionUID = 1L;

    public static final String KIND = "gpu-anomaly";

    @Override
    public String name() {
        return KIND;
    }

    @Override
    public VectorDocument toDocument(GpuAnomaly anomaly) {
        String what;
        String unit;
        switch (anomaly.getMetric()) {
            case POWER -> {
                what = "power draw";
                unit = " W";
            }
            case TEMPERATURE -> {
                what = "temperature";
                unit = " C";
            }
            default -> {
                what = "utilization";
                unit = " %";
            }
        }
        double z = anomaly.getZScore();
        String text =
                String.format(
                        Locale.ROOT,
                        "GPU %d (%s, %s) on node %s in cluster %s (%s): %s %.1f%s is %.1f standard"
                                + " deviations %s its baseline of %.1f%s (±%.1f%s) for %d readings"
                                + " since %s.",
                        anomaly.getGpuIndex(),
                        anomaly.getGpuUuid(),
                        anomaly.getModel(),
                        anomaly.getNode(),
                        anomaly.getCluster(),
                        anomaly.getRegion(),
                        what,
                        anomaly.getValue(),
                        unit,
                        Math.abs(z),
                        z >= 0 ? "above" : "below",
                        anomaly.getBaselineMean(),
                        unit,
                        anomaly.getBaselineStddev(),
                        unit,
                        anomaly.getConsecutive(),
                        anomaly.getStartedAt());
        return VectorDocument.builder()
                .id(KIND + ":" + RecordIds.of(anomaly))
                .kind(KIND)
                .text(text)
                .time(anomaly.getTimestamp())
                .metadata("severity", Math.abs(z) >= 6 ? "critical" : "warning")
                .metadata("region", anomaly.getRegion())
                .metadata("cluster", anomaly.getCluster())
                .metadata("node", anomaly.getNode())
                .metadata("gpu_uuid", anomaly.getGpuUuid())
                .metadata("metric", anomaly.getMetric().name().toLowerCase(Locale.ROOT))
                .source(
                        FleetHealthStage.GPU_ANOMALIES_TABLE,
                        Lineage.and(
                                Lineage.equals("gpu_uuid", anomaly.getGpuUuid()),
                                Lineage.equals("metric", anomaly.getMetric().name()),
                                Lineage.at("timestamp", anomaly.getTimestamp())))
                .build();
    }
}
