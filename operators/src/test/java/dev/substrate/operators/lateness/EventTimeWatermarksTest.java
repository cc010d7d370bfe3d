package dev.substrate.operators.lateness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class EventTimeWatermarksTest {

    private static final long NOW = Instant.parse("2026-11-26T12:00:00Z").toEpochMilli();

    @Test
    void watermarkTrailsTheNewestPlausibleEventTimeByTheOutOfOrderness() {
        EventTimeWatermarks.Generator<Long> generator =
                new EventTimeWatermarks.Generator<>(
                        5_000,
                        60_000,
                        Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                        t -> t);
        Recorder out = new Recorder();
        generator.onPeriodicEmit(out);
        assertThat(out.watermarks).as("nothing before the first event").isEmpty();

        generator.onEvent(NOW - 10_000, NOW - 10_000, out);
        generator.onEvent(NOW - 20_000, NOW - 20_000, out);
        generator.onPeriodicEmit(out);
        assertThat(out.last()).isEqualTo(NOW - 10_000 - 5_000 - 1);

        // A wrong clock a day ahead must not make everything else late.
        long nextYear = NOW + 86_400_000L;
        generator.onEvent(nextYear, nextYear, out);
        // Dead letters carry no event time.
        generator.onEvent(EventTimeWatermarks.NO_EVENT_TIME, NOW + 30_000, out);
        generator.onPeriodicEmit(out);
        assertThat(out.last()).isEqualTo(NOW - 15_001);

        // Within the skew bound, a slightly early clock still counts.
        generator.onEvent(NOW + 30_000, NOW + 30_000, out);
        generator.onPeriodicEmit(out);
        assertThat(out.last()).isEqualTo(NOW + 30_000 - 5_001);
    }

    @Test
    void recordsMoveTheWatermarkInStepsWithoutWaitingForThePeriodicEmit() {
        EventTimeWatermarks.Generator<Long> generator =
                new EventTimeWatermarks.Generator<>(
                        5_000,
                        60_000,
                        Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                        t -> t);
        Recorder out = new Recorder();
        long t0 = NOW - 3_600_000; // a replay an hour behind the clock
        generator.onEvent(t0 + 10_000, t0 + 10_000, out);
        generator.onEvent(t0 + 10_500, t0 + 10_500, out);
        generator.onEvent(t0 + 11_000, t0 + 11_000, out);
        generator.onEvent(t0 + 3_000, t0 + 3_000, out); // out of order: no step back
        generator.onEvent(t0 + 20_000, t0 + 20_000, out);
        assertThat(out.watermarks)
                .containsExactly(t0 + 4_999, t0 + 5_999, t0 + 14_999)
                .as(
                        "a step below %d ms waits for the periodic emit",
                        EventTimeWatermarks.EAGER_STEP_MILLIS);

        generator.onEvent(t0 + 20_400, t0 + 20_400, out);
        generator.onPeriodicEmit(out);
        generator.onPeriodicEmit(out);
        assertThat(out.watermarks)
                .containsExactly(t0 + 4_999, t0 + 5_999, t0 + 14_999, t0 + 15_399);
    }

    private static final class Recorder implements WatermarkOutput {
        final List<Long> watermarks = new ArrayList<>();

        @Override
        public void emitWatermark(Watermark watermark) {
            watermarks.add(watermark.getTimestamp());
        }

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}

        long last() {
            return watermarks.get(watermarks.size() - 1);
        }
    }
}
