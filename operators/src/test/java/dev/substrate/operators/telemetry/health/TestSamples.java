package dev.substrate.operators.telemetry.health;

import dev.substrate.events.GpuSample;
import dev.substrate.testkit.GpuSamples;
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
        return GpuSamples.reading(CLUSTER, node, gpu, Instant.ofEpochMilli(atMillis))
                .setRegion(REGION)
                .setGpuUuid(gpuUuid(node, gpu))
                .setPstate(null);
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
