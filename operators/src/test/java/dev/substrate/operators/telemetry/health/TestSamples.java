package dev.substrate.operators.telemetry.health;

import dev.substrate.events.GpuSample;
import java.time.Instant;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/** GPU samples for operator tests: a busy, healthy H100 unless a test says otherwise. */
public final class TestSamples {

    public static final String REGION = "eu-west";
    public static final String CLUSTER = "c1";

    private TestSamples() {}

    /** A reading of GPU {@code gpu} of {@code node} in cluster c1 at {@code atMillis}. */
    public static GpuSample.Builder sample(String node, int gpu, long atMillis) {
        return GpuSample.newBuilder()
                .setEventId(node + "-" + gpu + "-" + atMillis)
                .setTimestamp(Instant.ofEpochMilli(atMillis))
                .setRegion(REGION)
                .setCluster(CLUSTER)
                .setNode(node)
                .setGpuUuid(gpuUuid(node, gpu))
                .setGpuIndex(gpu)
                .setModel("NVIDIA H100 80GB HBM3")
                .setUtilizationPct(50)
                .setMemoryUtilizationPct(20)
                .setMemoryUsedMib(40_000)
                .setMemoryTotalMib(81_559)
                .setTemperatureC(60)
                .setPowerDrawW(400)
                .setPowerLimitW(700.0)
                .setSmClockMhz(1980)
                .setMemoryClockMhz(2619)
                .setClockEventReasons(0)
                .setEccCorrected(0)
                .setEccUncorrected(0)
                .setXid(0);
    }

    public static String gpuUuid(String node, int gpu) {
        return "GPU-" + node + "-" + gpu;
    }

    /** Makes the harness fail like a job with {@code pipeline.generic-types: false} on Kryo. */
    public static void disableGenericTypes(AbstractStreamOperatorTestHarness<?> harness) {
        ((SerializerConfigImpl) harness.getExecutionConfig().getSerializerConfig())
                .setGenericTypes(false);
    }
}
