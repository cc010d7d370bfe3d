package dev.substrate.operators.windows;

/**
 * What one subtask of a {@link QuietClosingWindowOperator} knows about its input, on the
 * processing-time clock: when its watermark last moved and when its last input arrived. Not
 * checkpointed: after a restore both start at the time the operator opened, which can only delay a
 * quiet close, never hasten it.
 */
final class QuietClock {

    private long watermark = Long.MIN_VALUE;
    private long watermarkMovedAt;
    private long lastInputAt;

    QuietClock(long now) {
        watermarkMovedAt = now;
        lastInputAt = now;
    }

    void input(long now) {
        lastInputAt = now;
    }

    void watermark(long watermark, long now) {
        if (watermark > this.watermark) {
            this.watermark = watermark;
            watermarkMovedAt = now;
        }
    }

    /**
     * The earliest time at which event time will have stood still for {@code stillMillis} and the
     * input been quiet for {@code quietMillis}, if neither moves before.
     */
    long quietFrom(long stillMillis, long quietMillis) {
        return Math.max(
                saturatedAdd(watermarkMovedAt, stillMillis),
                saturatedAdd(lastInputAt, quietMillis));
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : sum;
    }
}
