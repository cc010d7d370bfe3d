package dev.substrate.sources.kafka;

import java.io.Serializable;
import java.time.Duration;

/**
 * Bounded exponential backoff for calls to an unavailable dependency (the schema registry): the
 * delay starts at {@code initialDelay}, doubles after every failed attempt and is capped at {@code
 * maxDelay}; the caller gives up once {@code giveUpAfter} has passed since the first failure (or
 * after {@code maxAttempts} attempts, when that is set).
 *
 * <p>The retries run on a Flink task thread, where checkpoints and cancellation wait behind them,
 * so by default they end after {@link #DEFAULT_GIVE_UP_AFTER}: the caller then fails the task with
 * what it waited for, and Flink's restart strategy restarts the job from its last checkpoint,
 * backing off further. Waiting is still better than dead-lettering good data.
 */
public final class RetryPolicy implements Serializable {

    private static final long serialVersionUID = 2L;

    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(2);
    public static final Duration DEFAULT_GIVE_UP_AFTER = Duration.ofSeconds(10);

    /** {@link #maxAttempts()} value meaning "as many as fit in {@link #giveUpAfter()}". */
    public static final int UNLIMITED = 0;

    private final long initialDelayMs;
    private final long maxDelayMs;
    private final int maxAttempts;
    private final long giveUpAfterMs;

    private RetryPolicy(long initialDelayMs, long maxDelayMs, int maxAttempts, long giveUpAfterMs) {
        if (initialDelayMs <= 0) {
            throw new IllegalArgumentException(
                    "initial delay must be positive, was " + initialDelayMs + " ms");
        }
        if (maxDelayMs < initialDelayMs) {
            throw new IllegalArgumentException(
                    "max delay ("
                            + maxDelayMs
                            + " ms) must not be shorter than the initial delay ("
                            + initialDelayMs
                            + " ms)");
        }
        if (maxAttempts < 0) {
            throw new IllegalArgumentException(
                    "max attempts must be 0 (unlimited) or positive, was " + maxAttempts);
        }
        if (giveUpAfterMs <= 0) {
            throw new IllegalArgumentException(
                    "the time to give up after must be positive, was " + giveUpAfterMs + " ms");
        }
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.maxAttempts = maxAttempts;
        this.giveUpAfterMs = giveUpAfterMs;
    }

    /** 200 ms initial delay, 2 s maximum delay, giving up after 10 s. */
    public static RetryPolicy defaults() {
        return giveUpAfter(DEFAULT_GIVE_UP_AFTER);
    }

    /** The default delays, giving up after {@code giveUpAfter} (e.g. registry.outage-timeout). */
    public static RetryPolicy giveUpAfter(Duration giveUpAfter) {
        long bound = giveUpAfter.toMillis();
        long initial = Math.min(DEFAULT_INITIAL_DELAY.toMillis(), Math.max(1, bound));
        return new RetryPolicy(
                initial,
                Math.max(initial, Math.min(DEFAULT_MAX_DELAY.toMillis(), bound)),
                0,
                bound);
    }

    /**
     * @param maxAttempts total attempts including the first; {@link #UNLIMITED} (0) for as many as
     *     fit in {@code giveUpAfter}
     */
    public static RetryPolicy of(
            Duration initialDelay, Duration maxDelay, int maxAttempts, Duration giveUpAfter) {
        return new RetryPolicy(
                initialDelay.toMillis(), maxDelay.toMillis(), maxAttempts, giveUpAfter.toMillis());
    }

    public RetryPolicy withMaxAttempts(int maxAttempts) {
        return new RetryPolicy(initialDelayMs, maxDelayMs, maxAttempts, giveUpAfterMs);
    }

    public Duration initialDelay() {
        return Duration.ofMillis(initialDelayMs);
    }

    public Duration maxDelay() {
        return Duration.ofMillis(maxDelayMs);
    }

    /** Total attempts allowed including the first, or {@link #UNLIMITED}. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** How long after the first failure the caller stops retrying. */
    public Duration giveUpAfter() {
        return Duration.ofMillis(giveUpAfterMs);
    }

    /**
     * Whether another attempt may follow {@code failedAttempts} failed ones, {@code elapsedMs}
     * after the first of them.
     */
    public boolean mayRetry(int failedAttempts, long elapsedMs) {
        return (maxAttempts == UNLIMITED || failedAttempts < maxAttempts)
                && elapsedMs < giveUpAfterMs;
    }

    /** The wait before the next attempt, after {@code failedAttempts} (1 or more) failures. */
    public Duration delayAfter(int failedAttempts) {
        if (failedAttempts < 1) {
            throw new IllegalArgumentException(
                    "failedAttempts must be >= 1, was " + failedAttempts);
        }
        long delay = initialDelayMs;
        // Stops doubling at the cap, so large attempt counts cannot overflow.
        for (int i = 1; i < failedAttempts && delay < maxDelayMs; i++) {
            delay *= 2;
        }
        return Duration.ofMillis(Math.min(delay, maxDelayMs));
    }

    /**
     * The wait before the next attempt, {@code elapsedMs} after the first failure: {@link
     * #delayAfter}, but never past the time to give up, so the last attempt comes at that time.
     */
    public Duration delayAfter(int failedAttempts, long elapsedMs) {
        long delay = delayAfter(failedAttempts).toMillis();
        return Duration.ofMillis(Math.max(0, Math.min(delay, giveUpAfterMs - elapsedMs)));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryPolicy other
                && initialDelayMs == other.initialDelayMs
                && maxDelayMs == other.maxDelayMs
                && maxAttempts == other.maxAttempts
                && giveUpAfterMs == other.giveUpAfterMs;
    }

    @Override
    public int hashCode() {
        return ((Long.hashCode(initialDelayMs) * 31 + Long.hashCode(maxDelayMs)) * 31 + maxAttempts)
                        * 31
                + Long.hashCode(giveUpAfterMs);
    }

    @Override
    public String toString() {
        return "RetryPolicy{initialDelay="
                + initialDelayMs
                + "ms, maxDelay="
                + maxDelayMs
                + "ms, maxAttempts="
                + (maxAttempts == UNLIMITED ? "unlimited" : maxAttempts)
                + ", giveUpAfter="
                + giveUpAfterMs
                + "ms}";
    }
}
