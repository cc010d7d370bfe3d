package dev.substrate.operators.telemetry.windows;

import static dev.substrate.operators.telemetry.windows.Readings.T0;
import static dev.substrate.operators.telemetry.windows.Readings.reading;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.substrate.events.GpuSample;
import dev.substrate.operators.testing.CapturedMetrics;
import dev.substrate.operators.windows.EventTimeSorter;
import dev.substrate.operators.windows.LocalWindowPreAggregator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The 1-minute per-GPU window operators, driven record by record with watermarks. */
class GpuWindowHarnessTest {

    private static final long MINUTE = 60_000;
    private static final long MAX_GAP = 60_000;

    /** The keyed window operator that {@link TelemetryWindows#gpuWindows} builds for config. */
    private static <IN>
            KeyedOneInputStreamOperatorTestHarness<String, IN, GpuWindowAccumulator> windowHarness(
                    TelemetryWindowsConfig config, KeySelector<IN, String> key) throws Exception {
        return windowHarness(config, key, new CapturedMetrics("telemetry", "gpu windows"), null);
    }

    /**
     * As {@link #windowHarness(TelemetryWindowsConfig, KeySelector)}, with its metrics in {@code
     * metrics}, restored from {@code state} if not null, at processing time 0.
     */
    @SuppressWarnings("unchecked")
    private static <IN>
            KeyedOneInputStreamOperatorTestHarness<String, IN, GpuWindowAccumulator> windowHarness(
                    TelemetryWindowsConfig config,
                    KeySelector<IN, String> key,
                    CapturedMetrics metrics,
                    @Nullable OperatorSubtaskState state)
                    throws Exception {
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
                new KeyedOneInputStreamOperatorTestHarness<>(
                        operator, key, Types.STRING, metrics.environment());
        noGenericTypes(harness);
        harness.setProcessingTime(0);
        if (state != null) {
            harness.initializeState(state);
        }
        harness.open();
        return harness;
    }

    private static void noGenericTypes(OneInputStreamOperatorTestHarness<?, ?> harness) {
        ((SerializerConfigImpl) harness.getExecutionConfig().getSerializerConfig())
                .setGenericTypes(false);
    }

    private static OneInputStreamOperatorTestHarness<GpuSample, GpuWindowAccumulator>
            preAggregatorHarness() throws Exception {
        return preAggregatorHarness(Duration.ZERO);
    }

    /** The keyed window behind the pre-aggregator, with the default settings. */
    private static KeyedOneInputStreamOperatorTestHarness<
                    String, GpuWindowAccumulator, GpuWindowAccumulator>
            mergingWindowHarness() throws Exception {
        return windowHarness(TelemetryWindowsConfig.defaults(), acc -> acc.gpuUuid);
    }

    /** The pre-aggregator, sending its partials after {@code stallFlush} of still event time. */
    private static OneInputStreamOperatorTestHarness<GpuSample, GpuWindowAccumulator>
            preAggregatorHarness(Duration stallFlush) throws Exception {
        TypeInformation<GpuWindowAccumulator> type = TelemetryWindows.gpuWindowType();
        var harness =
                new OneInputStreamOperatorTestHarness<>(
                        new LocalWindowPreAggregator<>(
                                        new GpuWindowAggregator(true, MAX_GAP),
                                        GpuSample::getGpuUuid,
                                        MINUTE,
                                        TelemetryWindows.LATE_SAMPLES)
                                .withStallFlush(stallFlush),
                        new AvroTypeInfo<>(GpuSample.class)
                                .createSerializer(new SerializerConfigImpl()));
        noGenericTypes(harness);
        harness.setup(type.createSerializer(new SerializerConfigImpl()));
        harness.setProcessingTime(0);
        harness.open();
        return harness;
    }

    /**
     * What the pre-aggregator sends for {@code readings} readings of {@code gpu} from {@code
     * start}.
     */
    private static GpuWindowAccumulator partial(String gpu, long start, int readings) {
        GpuWindowAggregator aggregator = new GpuWindowAggregator(true, MAX_GAP);
        GpuWindowAccumulator acc = aggregator.createAccumulator();
        for (int i = 0; i < readings; i++) {
            aggregator.add(reading(gpu, "n1", start + i * 1000L, 50, 300), acc);
        }
        acc.stamp(gpu, start, start + MINUTE);
        return acc;
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

        try (var h = mergingWindowHarness()) {
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

    // ---- Quiet close: the input stops, event time stands still (default quiet period, 2 min) ----

    private static final long QUIET = TelemetryWindowsConfig.DEFAULT_QUIET_CLOSE.toMillis();

    @Test
    void aQuietInputClosesItsOpenWindowsMarkedAndTheWatermarkNeverFiresThemAgain()
            throws Exception {
        CapturedMetrics metrics = new CapturedMetrics("telemetry", "gpu windows");
        try (var h =
                windowHarness(
                        TelemetryWindowsConfig.defaults(),
                        (GpuWindowAccumulator acc) -> acc.gpuUuid,
                        metrics,
                        null)) {
            // The last minute of a capture: two GPUs' partials, then event time stops.
            h.processWatermark(T0 + 30_000);
            h.processElement(partial("gpu-a", T0, 20), T0 + MINUTE - 1);
            h.processElement(partial("gpu-b", T0, 10), T0 + MINUTE - 1);

            h.setProcessingTime(QUIET - 1);
            assertThat(h.extractOutputValues()).isEmpty();
            h.setProcessingTime(QUIET);
            List<GpuWindowAccumulator> closed = h.extractOutputValues();
            assertThat(closed)
                    .hasSize(2)
                    .allSatisfy(
                            acc -> {
                                assertThat(acc.closedByQuietTime).isTrue();
                                assertThat(acc.windowStart).isEqualTo(T0);
                                assertThat(acc.windowEnd).isEqualTo(T0 + MINUTE);
                            });
            assertThat(closed).extracting(acc -> acc.sampleCount).containsOnly(20L, 10L);
            assertThat(h.numProcessingTimeTimers()).isZero();

            // More of gpu-a's closed window after all: counted as too late, not a second row.
            h.processElement(partial("gpu-a", T0 + 40_000, 3), T0 + MINUTE - 1);
            assertThat(metrics.count(LateReadingsCounter.METRIC)).isEqualTo(3);

            // Event time moves on past the windows: no second row, and their state is gone.
            h.processWatermark(T0 + MINUTE);
            assertThat(h.extractOutputValues()).hasSize(2);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numEventTimeTimers()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void whileEventTimeMovesTheWatermarkClosesWindowsNoMatterHowLongItTakes() throws Exception {
        try (var h = mergingWindowHarness()) {
            h.processElement(partial("gpu-a", T0, 5), T0 + MINUTE - 1);
            // Ten quiet periods without input, but event time creeps on (a slow replay).
            for (long t = 30_000; t <= 10 * QUIET; t += 30_000) {
                h.setProcessingTime(t);
                h.processWatermark(T0 + t / 100);
            }
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1); // one per window, not per check

            h.processWatermark(T0 + MINUTE - 1);
            assertThat(h.extractOutputValues())
                    .singleElement()
                    .satisfies(acc -> assertThat(acc.closedByQuietTime).isFalse());
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void aWindowThatKeepsGettingInputStaysOpenThoughEventTimeStandsStill() throws Exception {
        try (var h = mergingWindowHarness()) {
            h.processWatermark(T0 + 30_000);
            h.processElement(partial("gpu-a", T0, 5), T0 + MINUTE - 1);
            // The watermark is held back elsewhere; gpu-b's partials keep arriving, gpu-a's not.
            int partials = 0;
            for (long t = 30_000; t <= 4 * QUIET; t += 30_000, partials++) {
                h.setProcessingTime(t);
                h.processElement(partial("gpu-b", T0 + MINUTE, 1), T0 + 2 * MINUTE - 1);
            }
            assertThat(h.extractOutputValues())
                    .as("gpu-a's window, quiet since the start")
                    .singleElement()
                    .satisfies(acc -> assertThat(acc.gpuUuid).isEqualTo("gpu-a"));

            // Then gpu-b's partials stop too: its window closes a quiet period later.
            h.setProcessingTime(5 * QUIET - 1);
            assertThat(h.extractOutputValues()).hasSize(1);
            h.setProcessingTime(5 * QUIET);
            assertThat(h.extractOutputValues())
                    .hasSize(2)
                    .allSatisfy(acc -> assertThat(acc.closedByQuietTime).isTrue())
                    .extracting(acc -> acc.sampleCount)
                    .containsExactly(5L, (long) partials);
        }
    }

    @Test
    void withAllowedLatenessAReadingAfterAQuietCloseUpdatesTheRow() throws Exception {
        TelemetryWindowsConfig config =
                TelemetryWindowsConfig.defaults().withAllowedLateness(Duration.ofSeconds(30));
        try (var h = windowHarness(config, GpuSample::getGpuUuid)) {
            h.processWatermark(T0 + 10_000);
            send(h, reading("gpu-a", "n1", T0 + 1_000, 10, 100));
            h.setProcessingTime(QUIET);
            assertThat(h.extractOutputValues())
                    .singleElement()
                    .satisfies(acc -> assertThat(acc.closedByQuietTime).isTrue());

            send(h, reading("gpu-a", "n1", T0 + 50_000, 90, 300));
            var updates = h.getSideOutput(GpuWindowBoundsFunction.UPDATES);
            assertThat(updates).hasSize(1);
            GpuWindowAccumulator updated = updates.peek().getValue();
            assertThat(updated.sampleCount).isEqualTo(2);
            assertThat(updated.power.mean()).isEqualTo(200.0);
            assertThat(updated.closedByQuietTime).isTrue();

            h.processWatermark(T0 + MINUTE + 30_000);
            assertThat(h.extractOutputValues()).hasSize(1);
            assertThat(h.getSideOutput(GpuWindowBoundsFunction.UPDATES)).hasSize(1);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aRestoredJobKeepsClosedWindowsClosedAndClosesTheOpenOnes() throws Exception {
        KeySelector<GpuWindowAccumulator, String> key = acc -> acc.gpuUuid;
        TelemetryWindowsConfig config = TelemetryWindowsConfig.defaults();
        OperatorSubtaskState afterClose;
        OperatorSubtaskState withOpenWindow;
        try (var h = windowHarness(config, key)) {
            h.processWatermark(T0 + 30_000);
            h.processElement(partial("gpu-a", T0, 5), T0 + MINUTE - 1);
            withOpenWindow = h.snapshot(1, 1);
            h.setProcessingTime(QUIET);
            assertThat(h.extractOutputValues()).hasSize(1);
            afterClose = h.snapshot(2, QUIET);
        }
        try (var h =
                windowHarness(
                        config, key, new CapturedMetrics("telemetry", "restored"), afterClose)) {
            h.processWatermark(T0 + MINUTE);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(h.numKeyedStateEntries()).isZero();
        }
        // Stopped before the close: after the restore the quiet period runs again, then it closes.
        try (var h =
                windowHarness(
                        config,
                        key,
                        new CapturedMetrics("telemetry", "restored"),
                        withOpenWindow)) {
            h.setProcessingTime(QUIET);
            assertThat(h.extractOutputValues())
                    .singleElement()
                    .satisfies(acc -> assertThat(acc.closedByQuietTime).isTrue());
        }
    }

    @Test
    void withoutQuietCloseOnlyTheWatermarkClosesWindows() throws Exception {
        try (var h =
                windowHarness(
                        TelemetryWindowsConfig.defaults().withQuietClose(Duration.ZERO),
                        (GpuWindowAccumulator acc) -> acc.gpuUuid)) {
            h.processElement(partial("gpu-a", T0, 5), T0 + MINUTE - 1);
            h.setProcessingTime(100 * QUIET);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(h.numProcessingTimeTimers()).isZero();
            h.processWatermark(T0 + MINUTE);
            assertThat(h.extractOutputValues()).hasSize(1);
        }
    }

    @Test
    void thePreAggregatorSendsItsPartialsOnceTheWatermarkStandsStill() throws Exception {
        try (var h = preAggregatorHarness(Duration.ofSeconds(15))) {
            send(h, reading("gpu-a", "n1", T0 + 1_000, 10, 100));
            send(h, reading("gpu-b", "n1", T0 + 2_000, 90, 650));
            h.processWatermark(T0 + 2_000);

            h.setProcessingTime(15_000); // the watermark moved since the check was set
            assertThat(h.extractOutputValues()).isEmpty();
            h.setProcessingTime(30_000); // it has not moved since
            assertThat(h.extractOutputValues())
                    .hasSize(2)
                    .allSatisfy(p -> assertThat(p.windowStart).isEqualTo(T0));
            assertThat(h.extractOutputStreamRecords())
                    .allSatisfy(r -> assertThat(r.getTimestamp()).isEqualTo(T0 + MINUTE - 1));
            // Nothing held, nothing to check; the next reading sets the next check.
            assertThat(h.getProcessingTimeService().getActiveTimerTimestamps()).isEmpty();
            send(h, reading("gpu-a", "n1", T0 + 3_000, 10, 100));
            assertThat(h.getProcessingTimeService().getActiveTimerTimestamps())
                    .containsExactly(45_000L);
        }
    }

    /**
     * One GPU's readings of one minute (one a second, power rising 10 W a second, SW_POWER_CAP
     * active from second 20 to 39), delivered as two ingest subtasks interleave them: the even
     * seconds run 8 s ahead of the odd ones, the watermark follows the slower. Exactly: energy is
     * the mean power, 395 W, over 60 s; the cap covers 20 of the 59 s between the first and the
     * last reading.
     */
    @Test
    void readingsInterleavedByTwoSubtasksGiveExactEnergyAndSharesOnceSortedPerGpu()
            throws Exception {
        long cap = ClockEventReason.SW_POWER_CAP.bit();
        List<GpuSample> arrivals = new ArrayList<>();
        for (int arrival = -8; arrival < 60; arrival++) {
            for (int s : new int[] {arrival + 8, arrival}) { // even ahead of odd
                if (s >= 0 && s < 60 && (s % 2 == 0) == (s == arrival + 8)) {
                    long reasons = s >= 20 && s <= 39 ? cap : 0L;
                    arrivals.add(
                            Readings.reading(
                                    "gpu-a",
                                    "n1",
                                    "c1",
                                    T0 + s * 1000L,
                                    s,
                                    100 + 10 * s,
                                    50.0,
                                    1000L,
                                    reasons,
                                    0L,
                                    0L,
                                    0));
                }
            }
        }
        assertThat(arrivals).hasSize(60);

        GpuWindowAccumulator sorted = throughTheWindows(arrivals, true);
        assertThat(sorted.sampleCount).isEqualTo(60);
        assertThat(sorted.energyJoules()).isCloseTo(395.0 * 60, within(1e-6));
        assertThat(sorted.fraction(ClockEventReason.SW_POWER_CAP))
                .isCloseTo(20.0 / 59, within(1e-12));
        assertThat(sorted.fraction(ClockEventReason.HW_SLOWDOWN)).isZero();

        // The same arrivals without the sort: the odd readings fall inside the span already
        // integrated and are missed, as at parallelism 2 before the sort.
        GpuWindowAccumulator unsorted = throughTheWindows(arrivals, false);
        assertThat(unsorted.sampleCount).isEqualTo(60);
        assertThat(Math.abs(unsorted.energyJoules() - 395.0 * 60)).isGreaterThan(0.01 * 395 * 60);
    }

    /**
     * {@code arrivals} through the sorter (if {@code sort}), the pre-aggregator and the keyed
     * window, with the watermark of two in-order channels (even and odd seconds), then to the end.
     */
    private static GpuWindowAccumulator throughTheWindows(List<GpuSample> arrivals, boolean sort)
            throws Exception {
        AvroTypeInfo<GpuSample> type = new AvroTypeInfo<>(GpuSample.class);
        List<Object> stream = new ArrayList<>();
        long[] channelMax = {Long.MIN_VALUE, Long.MIN_VALUE};
        long watermark = Long.MIN_VALUE;
        for (GpuSample sample : arrivals) {
            long ts = sample.getTimestamp().toEpochMilli();
            stream.add(new StreamRecord<>(sample, ts));
            int channel = (int) ((ts - T0) / 1000 % 2);
            channelMax[channel] = Math.max(channelMax[channel], ts);
            long now = Math.min(channelMax[0], channelMax[1]);
            if (now != Long.MIN_VALUE && now > watermark) {
                watermark = now;
                stream.add(new Watermark(now));
            }
        }
        stream.add(new Watermark(T0 + 2 * MINUTE));
        if (sort) {
            try (var sorter =
                    new KeyedOneInputStreamOperatorTestHarness<String, GpuSample, GpuSample>(
                            new EventTimeSorter<>(type), GpuSample::getGpuUuid, Types.STRING)) {
                noGenericTypes(sorter);
                sorter.open();
                feed(sorter, stream);
                stream = new ArrayList<>(sorter.getOutput());
            }
        }
        try (var pre = preAggregatorHarness();
                var window = mergingWindowHarness()) {
            feed(pre, stream);
            feed(window, new ArrayList<>(pre.getOutput()));
            List<GpuWindowAccumulator> fired = window.extractOutputValues();
            assertThat(fired).hasSize(1);
            return fired.get(0);
        }
    }

    /** Sends the records and watermarks of {@code stream} to {@code h}, in order. */
    @SuppressWarnings("unchecked")
    private static <IN> void feed(OneInputStreamOperatorTestHarness<IN, ?> h, List<Object> stream)
            throws Exception {
        for (Object o : stream) {
            if (o instanceof StreamRecord<?> r) {
                h.processElement((StreamRecord<IN>) r);
            } else if (o instanceof Watermark w) {
                h.processWatermark(w);
            }
        }
    }
}
