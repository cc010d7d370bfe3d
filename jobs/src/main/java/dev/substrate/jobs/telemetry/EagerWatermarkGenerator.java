package dev.substrate.jobs.telemetry;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Bounded-out-of-orderness watermarks that advance with the data, not only with the wall clock:
 * besides the periodic emission, an event emits a watermark as soon as it moves event time on by at
 * least {@code step}. During a replay or a catch-up, when a periodic watermark would lag the
 * records by minutes, heartbeat timers and capacity reports then still fire in event-time order.
 */
public final class EagerWatermarkGenerator<T> implements WatermarkGenerator<T> {

    private final long outOfOrdernessMillis;
    private final long stepMillis;
    private long maxTimestamp;
    private long lastEmitted = Long.MIN_VALUE;

    /**
     * @param outOfOrdernessMillis how late a record may be relative to the newest one seen
     * @param stepMillis the smallest advance that makes an event emit a watermark itself
     */
    public EagerWatermarkGenerator(long outOfOrdernessMillis, long stepMillis) {
        if (outOfOrdernessMillis < 0 || stepMillis < 1) {
            throw new IllegalArgumentException(
                    "outOfOrdernessMillis must be >= 0 and stepMillis >= 1: "
                            + outOfOrdernessMillis
                            + ", "
                            + stepMillis);
        }
        this.outOfOrdernessMillis = outOfOrdernessMillis;
        this.stepMillis = stepMillis;
        // As Flink's BoundedOutOfOrdernessWatermarks: no underflow before the first event.
        this.maxTimestamp = Long.MIN_VALUE + outOfOrdernessMillis + 1;
    }

    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
        maxTimestamp = Math.max(maxTimestamp, eventTimestamp);
        long watermark = current();
        if (lastEmitted == Long.MIN_VALUE || watermark - lastEmitted >= stepMillis) {
            emit(watermark, output);
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long watermark = current();
        if (watermark > lastEmitted) {
            emit(watermark, output);
        }
    }

    private long current() {
        return maxTimestamp - outOfOrdernessMillis - 1;
    }

    private void emit(long watermark, WatermarkOutput output) {
        output.emitWatermark(new Watermark(watermark));
        lastEmitted = watermark;
    }
}
