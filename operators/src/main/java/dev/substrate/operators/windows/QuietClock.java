package dev.substrate.operators.windows;

/**
 * What one subtask of a {@link QuietClosingWindowOperator} knows about its event time, on the
 * processing-time clock: when its watermark last moved. Not checkpointed: after a restore it starts
 * at the time the operator opened, which can only delay a quiet close, never hasten it.
 */
final class QuietClock {

    private long watermark = Long.MIN_VALUE;
    private long watermarkMovedAt;

    QuietClock(long now) {
        watermarkMovedAt = now;
    }

    void watermark(long watermark, long now) {
        if (watermark > this.watermark) {
            this.watermark = watermark;
            watermarkMovedAt = now;
        }
    }

    /** When event time will have stood still for {@code stillMillis}, if it does not move first. */
    long stillFor(long stillMillis) {
        long at = watermarkMovedAt + stillMillis;
        return at < watermarkMovedAt ? Long.MAX_VALUE : at;
    }
}
