package dev.substrate.operators.telemetry.anomaly;

import dev.substrate.events.AnomalyMetric;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.GpuSample;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Anomalies of single GPUs, keyed by GPU uuid: per metric (utilization, power, temperature) an EWMA
 * baseline of mean and variance; a reading whose z-score against the baseline before it exceeds
 * {@code zThreshold} in absolute value is out of band, and {@code consecutive} out-of-band readings
 * in a row make one {@link GpuAnomaly}. The excursion ends with the first reading back in band; a
 * new excursion can then raise a new event, so an excursion yields exactly one event.
 *
 * <p>Readings are taken in arrival order (one GPU's samples come from one exporter, in order). The
 * first {@code warmUp} readings only train the baseline. The standard deviation has a per-metric
 * floor so a flat metric (0 % on an idle GPU) does not alarm on noise. A GPU's baselines are
 * dropped {@code retention} of event time after its last reading (an event-time timer, moved
 * forward lazily: at most one pending timer per GPU).
 */
public class GpuAnomalyFunction extends KeyedProcessFunction<String, GpuSample, GpuAnomaly> {

    private static final long serialVersionUID = 1L;
    private static final long NONE = Long.MIN_VALUE;

    private final AnomalyConfig config;
    private final long retentionMillis;

    private transient ValueState<GpuBaselines> baselines;

    public GpuAnomalyFunction(AnomalyConfig config) {
        this.config = config;
        this.retentionMillis = config.retention().toMillis();
    }

    /** The key this function expects: the GPU uuid. */
    public static String gpuKey(GpuSample sample) {
        return sample.getGpuUuid();
    }

    @Override
    public void open(OpenContext openContext) {
        baselines =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "gpu-baselines", TypeInformation.of(GpuBaselines.class)));
    }

    @Override
    public void processElement(GpuSample sample, Context ctx, Collector<GpuAnomaly> out)
            throws Exception {
        GpuBaselines state = baselines.value();
        if (state == null) {
            state = new GpuBaselines();
        }
        long t = sample.getTimestamp().toEpochMilli();
        state.lastSampleAt = Math.max(state.lastSampleAt, t);
        check(
                sample,
                t,
                AnomalyMetric.UTILIZATION,
                sample.getUtilizationPct(),
                state.utilization,
                config.utilizationStddevFloor(),
                out);
        check(
                sample,
                t,
                AnomalyMetric.POWER,
                sample.getPowerDrawW(),
                state.power,
                config.powerStddevFloor(),
                out);
        check(
                sample,
                t,
                AnomalyMetric.TEMPERATURE,
                sample.getTemperatureC(),
                state.temperature,
                config.temperatureStddevFloor(),
                out);
        if (state.cleanupTimerAt == NONE) {
            state.cleanupTimerAt = state.lastSampleAt + retentionMillis;
            ctx.timerService().registerEventTimeTimer(state.cleanupTimerAt);
        }
        baselines.update(state);
    }

    private void check(
            GpuSample sample,
            long t,
            AnomalyMetric metric,
            double value,
            EwmaBaseline baseline,
            double floor,
            Collector<GpuAnomaly> out) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return;
        }
        if (baseline.count >= config.warmUp()) {
            double stddev = baseline.stddev(floor);
            double z = (value - baseline.mean) / stddev;
            if (Math.abs(z) > config.zThreshold()) {
                baseline.outOfBand++;
                if (baseline.outOfBand == 1) {
                    baseline.excursionStartedAt = t;
                }
                // Exactly once per excursion: when it is confirmed, not for each reading after.
                if (baseline.outOfBand == config.consecutive()) {
                    out.collect(
                            GpuAnomaly.newBuilder()
                                    .setRegion(sample.getRegion())
                                    .setCluster(sample.getCluster())
                                    .setNode(sample.getNode())
                                    .setGpuUuid(sample.getGpuUuid())
                                    .setGpuIndex(sample.getGpuIndex())
                                    .setModel(sample.getModel())
                                    .setMetric(metric)
                                    .setValue(value)
                                    .setBaselineMean(baseline.mean)
                                    .setBaselineStddev(stddev)
                                    .setZScore(z)
                                    .setConsecutive(baseline.outOfBand)
                                    .setStartedAt(Instant.ofEpochMilli(baseline.excursionStartedAt))
                                    .setTimestamp(Instant.ofEpochMilli(t))
                                    .build());
                }
            } else {
                baseline.outOfBand = 0;
            }
        }
        baseline.update(value, config.alpha());
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<GpuAnomaly> out)
            throws Exception {
        GpuBaselines state = baselines.value();
        if (state == null || timestamp != state.cleanupTimerAt) {
            return;
        }
        if (timestamp >= state.lastSampleAt + retentionMillis) {
            baselines.clear();
            return;
        }
        state.cleanupTimerAt = state.lastSampleAt + retentionMillis;
        ctx.timerService().registerEventTimeTimer(state.cleanupTimerAt);
        baselines.update(state);
    }
}
