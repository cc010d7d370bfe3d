package dev.substrate.operators.telemetry.windows;

import static dev.substrate.operators.telemetry.windows.Readings.T0;
import static dev.substrate.operators.telemetry.windows.Readings.reading;
import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Accumulators and their sketches use their own serializers: no Kryo anywhere. */
class QuantileSketchTypeInfoTest {

    @Test
    void accumulatorsHaveTheirOwnTypesWithTheSketchSerializer() {
        assertThat(TelemetryWindows.gpuWindowType())
                .isSameAs(GpuWindowAccumulatorTypeInfo.INSTANCE)
                .isSameAs(TypeInformation.of(GpuWindowAccumulator.class));
        TypeInformation<RollupAccumulator> rollup = TelemetryWindows.rollupType();
        assertThat(rollup).isInstanceOf(PojoTypeInfo.class);
        PojoTypeInfo<MetricStats> stats =
                (PojoTypeInfo<MetricStats>) TypeInformation.of(MetricStats.class);
        assertThat(stats.getTypeAt("sketch")).isSameAs(QuantileSketchTypeInfo.INSTANCE);
    }

    @Test
    void accumulatorRoundTripsWithGenericTypesDisabled() throws Exception {
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<GpuWindowAccumulator> serializer =
                TelemetryWindows.gpuWindowType().createSerializer(config);

        GpuWindowAccumulator acc = GpuWindowAccumulator.create(true);
        for (int i = 0; i < 500; i++) {
            acc.add(
                    reading(
                            "g1",
                            "n1",
                            "c1",
                            T0 + i * 100L,
                            i % 100,
                            100 + i,
                            50,
                            i,
                            0x4,
                            0,
                            0,
                            79),
                    60_000);
        }
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(acc, out);
        GpuWindowAccumulator copy =
                serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        assertThat(copy.sampleCount).isEqualTo(500);
        assertThat(copy.gpuUuid).isEqualTo("g1");
        assertThat(copy.power.quantile(0.99)).isEqualTo(acc.power.quantile(0.99));
        assertThat(copy.utilization.quantile(0.5)).isEqualTo(acc.utilization.quantile(0.5));
        assertThat(copy.energyJoules()).isEqualTo(acc.energyJoules());
        assertThat(copy.xids).containsExactly(79);
        assertThat(copy.fraction(ClockEventReason.SW_POWER_CAP)).isEqualTo(1.0);
        // A bounded encoding: a few hundred bytes per sketch, not one entry per reading.
        assertThat(out.length()).isLessThan(4_000);

        GpuWindowAccumulator copied = serializer.copy(acc);
        copied.power.add(10_000);
        assertThat(acc.power.maximum()).isEqualTo(599.0);
    }
}
