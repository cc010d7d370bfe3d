package dev.substrate.operators.lateness;

import java.io.Serial;
import java.io.Serializable;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * The job's one event-time clock, assigned per Kafka partition where the ingest reads: bounded
 * out-of-orderness, idle partitions ignored after a timeout, watermarks that advance with the data
 * as well as with the wall clock, and one guard — an event time further ahead of the wall clock
 * than {@code maxFutureSkew} does not move the watermark. Without the guard, one producer with a
 * wrong clock (a reading stamped next year) would make every later record of its partition "late".
 * Such records still flow on; the quality rules judge their timestamps.
 *
 * <p>Besides the periodic emission, a record that moves event time on by at least {@link
 * #EAGER_STEP_MILLIS} emits a watermark itself: during a replay or a catch-up, when a periodic
 * watermark would lag the records by minutes, heartbeat timers and windows downstream still fire in
 * event-time order.
 *
 * <p>Records for which the {@link EventTimeExtractor} returns {@link #NO_EVENT_TIME} (dead letters
 * mixed into the same stream) are ignored by the generator.
 */
public final class EventTimeWatermarks {

    /** The smallest advance of event time that makes a record emit a watermark itself. */
    public static final long EAGER_STEP_MILLIS = 1_000;

    /** Returned by an extractor for a record that has no event time. */
    public static final long NO_EVENT_TIME = Long.MIN_VALUE;

    private EventTimeWatermarks() {}

    /** Reads a record's event time in epoch millis, or {@link #NO_EVENT_TIME}. */
    @FunctionalInterface
    public interface EventTimeExtractor<T> extends Serializable {
        long eventTime(T record);
    }

    /**
     * @param outOfOrderness how far behind the newest event time records may still arrive in order
     * @param idleTimeout after this long without records a partition no longer holds the watermark
     *     back; zero or negative disables idleness
     * @param maxFutureSkew event times further than this ahead of the wall clock are ignored
     */
    public static <T> WatermarkStrategy<T> strategy(
            EventTimeExtractor<T> extractor,
            Duration outOfOrderness,
            Duration idleTimeout,
            Duration maxFutureSkew) {
        Objects.requireNonNull(extractor, "extractor");
        long delay = outOfOrderness.toMillis();
        long skew = maxFutureSkew.toMillis();
        if (delay < 0 || skew < 0) {
            throw new IllegalArgumentException(
                    "out-of-orderness and max future skew must not be negative");
        }
        WatermarkStrategy<T> strategy =
                WatermarkStrategy.<T>forGenerator(
                                ctx -> new Generator<>(delay, skew, Clock.systemUTC(), extractor))
                        .withTimestampAssigner(
                                ctx ->
                                        (TimestampAssigner<T>)
                                                (record, recordTimestamp) -> {
                                                    long t = extractor.eventTime(record);
                                                    // Dead letters keep the Kafka timestamp.
                                                    return t == NO_EVENT_TIME ? recordTimestamp : t;
                                                });
        if (!idleTimeout.isZero() && !idleTimeout.isNegative()) {
            strategy = strategy.withIdleness(idleTimeout);
        }
        return strategy;
    }

    /** Bounded out-of-orderness that ignores records without event time or too far ahead. */
    static final class Generator<T> implements WatermarkGenerator<T>, Serializable {

        @Serial private static final long serialVersionUID = 1L;

        private final long outOfOrdernessMs;
        private final long maxFutureSkewMs;
        private final Clock clock;
        private final EventTimeExtractor<T> extractor;
        private long maxTimestamp = Long.MIN_VALUE;
        private long lastEmitted = Long.MIN_VALUE;

        Generator(
                long outOfOrdernessMs,
                long maxFutureSkewMs,
                Clock clock,
                EventTimeExtractor<T> extractor) {
            this.outOfOrdernessMs = outOfOrdernessMs;
            this.maxFutureSkewMs = maxFutureSkewMs;
            this.clock = clock;
            this.extractor = extractor;
        }

        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
            if (extractor.eventTime(event) == NO_EVENT_TIME) {
                return;
            }
            if (eventTimestamp > clock.millis() + maxFutureSkewMs) {
                return;
            }
            maxTimestamp = Math.max(maxTimestamp, eventTimestamp);
            long watermark = maxTimestamp - outOfOrdernessMs - 1;
            if (lastEmitted == Long.MIN_VALUE || watermark - lastEmitted >= EAGER_STEP_MILLIS) {
                emit(watermark, output);
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            if (maxTimestamp != Long.MIN_VALUE) {
                long watermark = maxTimestamp - outOfOrdernessMs - 1;
                if (watermark > lastEmitted) {
                    emit(watermark, output);
                }
            }
        }

        private void emit(long watermark, WatermarkOutput output) {
            output.emitWatermark(new Watermark(watermark));
            lastEmitted = watermark;
        }

        long currentMaxTimestamp() {
            return maxTimestamp;
        }
    }
}
