package dev.substrate.operators.telemetry.windows;

import static dev.substrate.operators.telemetry.windows.Readings.T0;
import static dev.substrate.operators.telemetry.windows.Readings.reading;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.GpuSample;
import dev.substrate.operators.windows.LocalWindowPreAggregator;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The 1-minute per-GPU window operators, driven record by record with watermarks. */
class GpuWindowHarnessTest {

    private static final long MINUTE = 60_000;
    private static final long MAX_GAP = 60_000;

    /** The keyed window operator that {@link TelemetryWindows#gpuWindows} builds for config. */
    @SuppressWarnings("unchecked")
    private static <IN>
            KeyedOneInputStreamOperatorTestHarness<String, IN, GpuWindowAccumulator> windowHarness(
                    TelemetryWindowsConfig config, KeySelector<IN, String> key) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        DataStream<GpuSample> input =
                env.fromData(new AvroTypeInfo<>(GpuSample.class), reading("g", "n", T0, 0, 0));
        OneInputTransformation<IN, GpuWindowAccumulator> transformation =
                (OneInputTransformation<IN, GpuWindowAccumulator>)
                        TelemetryWindows.gpuWindows(input, config).windows().getTransformation();
        OneInputStreamOperator<IN, GpuWindowAccumulator> operator =
                (OneInputStreamOperator<IN, GpuWindowAccumulator>)
                        ((SimpleOperatorFactory<GpuWindowAccumulator>)
                                        transformation.getOperatorFactory())
                                .getOperator();
        KeyedOneInputStreamOperatorTestHarness<String, IN, GpuWindowAccumulator> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(operator, key, Types.STRING);
        noGenericTypes(harness);
        harness.open();
        return harness;
    }

    private static void noGenericTypes(OneInputStreamOperatorTestHarness<?, ?> harness) {
        ((SerializerConfigImpl) harness.getExecutionConfig().getSerializerConfig())
                .setGenericTypes(false);
    }

    private static OneInputStreamOperatorTestHarness<GpuSample, GpuWindowAccumulator>
            preAggregatorHarness() throws Exception {
        TypeInformation<GpuWindowAccumulator> type = TelemetryWindows.gpuWindowType();
        var harness =
                new OneInputStreamOperatorTestHarness<>(
                        new LocalWindowPreAggregator<>(
                                new GpuWindowAggregator(true, MAX_GAP),
                                GpuSample::getGpuUuid,
                                MINUTE,
                                TelemetryWindows.LATE_SAMPLES),
                        new AvroTypeInfo<>(GpuSample.class)
                                .createSerializer(new SerializerConfigImpl()));
        noGenericTypes(harness);
        harness.setup(type.createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    private static void send(OneInputStreamOperatorTestHarness<GpuSample, ?> h, GpuSample sample)
            throws Exception {
        h.processElement(sample, sample.getTimestamp().toEpochMilli());
    }

    @Test
    void preAggregatorSendsOnePartialPerGpuAndWindowWhenTheWatermarkPasses() throws Exception {
        try (var h = preAggregatorHarness()) {
            send(h, reading("gpu-a", "n1", T0 + 1_000, 10, 100));
            send(h, reading("gpu-a", "n1", T0 + 31_000, 30, 300));
            send(h, reading("gpu-b", "n1", T0 + 2_000, 90, 650));
            send(h, reading("gpu-a", "n1", T0 + MINUTE + 5_000, 70, 500)); // next window

            h.processWatermark(T0 + MINUTE - 2);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processWatermark(T0 + MINUTE - 1);
            List<GpuWindowAccumulator> partials = h.extractOutputValues();
            assertThat(partials).hasSize(2);
            GpuWindowAccumulator a =
                    partials.stream()
                            .filter(p -> p.gpuUuid.equals("gpu-a"))
                            .findFirst()
                            .orElseThrow();
            assertThat(a.windowStart).isEqualTo(T0);
            assertThat(a.windowEnd).isEqualTo(T0 + MINUTE);
            assertThat(a.sampleCount).isEqualTo(2);
            assertThat(a.power.mean()).isEqualTo(200.0);
            assertThat(h.extractOutputStreamRecords())
                    .allSatisfy(r -> assertThat(r.getTimestamp()).isEqualTo(T0 + MINUTE - 1));

            // A reading for the window this subtask has closed is late; it is sent on unchanged.
            GpuSample late = reading("gpu-a", "n1", T0 + 59_000, 99, 999);
            send(h, late);
            assertThat(h.getSideOutput(TelemetryWindows.LATE_SAMPLES))
                    .extracting(StreamRecord::getValue)
                    .containsExactly(late);

            // Before a checkpoint barrier the open window is sent as it is: no state to snapshot.
            h.prepareSnapshotPreBarrier(1);
            assertThat(h.extractOutputValues()).hasSize(3);
            assertThat(h.extractOutputValues().get(2).sampleCount).isEqualTo(1);
            h.processWatermark(T0 + 3 * MINUTE);
            assertThat(h.extractOutputValues()).hasSize(3);
        }
    }

    @Test
    void theKeyedWindowMergesPartialsInTimeOrderFiresOnceAndClearsItsState() throws Exception {
        // Readings of one GPU, split into two partials as a checkpoint between them would.
        GpuWindowAggregator aggregator = new GpuWindowAggregator(true, MAX_GAP);
        GpuWindowAccumulator whole = aggregator.createAccumulator();
        GpuWindowAccumulator first = aggregator.createAccumulator();
        GpuWindowAccumulator second = aggregator.createAccumulator();
        for (int s = 0; s < 60; s++) {
            GpuSample r = reading("gpu-a", "n1", T0 + s * 1000L, s, 100 + 10 * s);
            aggregator.add(r, whole);
            aggregator.add(r, s < 25 ? first : second);
        }
        first.stamp("gpu-a", T0, T0 + MINUTE);
        second.stamp("gpu-a", T0, T0 + MINUTE);

        try (var h =
                windowHarness(
                        TelemetryWindowsConfig.defaults(),
                        (GpuWindowAccumulator acc) -> acc.gpuUuid)) {
            h.processElement(first, T0 + MINUTE - 1);
            h.processElement(second, T0 + MINUTE - 1);
            assertThat(h.numKeyedStateEntries()).isGreaterThan(0);
            h.processWatermark(T0 + MINUTE - 1);

            List<GpuWindowAccumulator> fired = h.extractOutputValues();
            assertThat(fired).hasSize(1);
            GpuWindowAccumulator merged = fired.get(0);
            assertThat(merged.windowStart).isEqualTo(T0);
            assertThat(merged.sampleCount).isEqualTo(60);
            assertThat(merged.energyJoules()).isCloseTo(whole.energyJoules(), within(1e-6));
            assertThat(merged.power.quantile(0.95)).isEqualTo(whole.power.quantile(0.95));
            assertThat(merged.utilization.maximum()).isEqualTo(59.0);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void withAllowedLatenessALateReadingUpdatesTheWindowOnTheUpdatesOutput() throws Exception {
        TelemetryWindowsConfig config =
                TelemetryWindowsConfig.defaults().withAllowedLateness(Duration.ofSeconds(30));
        try (var h = windowHarness(config, GpuSample::getGpuUuid)) {
            send(h, reading("gpu-a", "n1", T0 + 1_000, 10, 100));
            h.processWatermark(T0 + MINUTE);
            assertThat(h.extractOutputValues()).hasSize(1);
            assertThat(h.numKeyedStateEntries()).isGreaterThan(0); // kept for the lateness

            send(h, reading("gpu-a", "n1", T0 + 59_000, 99, 300));
            var updates = h.getSideOutput(GpuWindowBoundsFunction.UPDATES);
            assertThat(updates).hasSize(1);
            GpuWindowAccumulator updated = updates.peek().getValue();
            assertThat(updated.sampleCount).isEqualTo(2);
            assertThat(updated.power.mean()).isEqualTo(200.0);
            assertThat(h.extractOutputValues()).hasSize(1); // the main output saw it once

            h.processWatermark(T0 + MINUTE + 30_000);
            assertThat(h.numKeyedStateEntries()).isZero();
            GpuSample tooLate = reading("gpu-a", "n1", T0 + 58_000, 1, 1);
            send(h, tooLate);
            assertThat(h.getSideOutput(TelemetryWindows.LATE_SAMPLES))
                    .extracting(StreamRecord::getValue)
                    .containsExactly(tooLate);
        }
    }
}
