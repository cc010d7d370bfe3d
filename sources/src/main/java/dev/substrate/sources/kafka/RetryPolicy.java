package dev.substrate.sources.kafka;

import java.io.Serializable;
import java.time.Duration;

/**
 * Exponential backoff for calls to an unavailable dependency (the schema registry): the delay
 * starts at {@code initialDelay}, doubles after every failed attempt and is capped at {@code
 * maxDelay}. By default attempts are unlimited: waiting for the registry is better than
 * dead-lettering good data or failing the job.
 */
public final class RetryPolicy implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(30);

    /** {@link #maxAttempts()} value meaning "retry forever". */
    public static final int UNLIMITED = 0;

    private final long initialDelayMs;
    private final long maxDelayMs;
    private final int maxAttempts;

    private RetryPolicy(long initialDelayMs, long maxDelayMs, int maxAttempts) {
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
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.maxAttempts = maxAttempts;
    }

    /** 200 ms initial delay, 30 s maximum delay, unlimited attempts. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(
                DEFAULT_INITIAL_DELAY.toMillis(), DEFAULT_MAX_DELAY.toMillis(), UNLIMITED);
    }

    /**
     * @param maxAttempts total attempts including the first; {@link #UNLIMITED} (0) retries forever
     */
    public static RetryPolicy of(Duration initialDelay, Duration maxDelay, int maxAttempts) {
        return new RetryPolicy(initialDelay.toMillis(), maxDelay.toMillis(), maxAttempts);
    }

    public RetryPolicy withMaxAttempts(int maxAttempts) {
        return new RetryPolicy(initialDelayMs, maxDelayMs, maxAttempts);
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

    /** Whether another attempt may follow {@code failedAttempts} failed ones. */
    public boolean mayRetryAfter(int failedAttempts) {
        return maxAttempts == UNLIMITED || failedAttempts < maxAttempts;
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

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryPolicy other
                && initialDelayMs == other.initialDelayMs
                && maxDelayMs == other.maxDelayMs
                && maxAttempts == other.maxAttempts;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(initialDelayMs) * 31 * 31
                + Long.hashCode(maxDelayMs) * 31
                + maxAttempts;
    }

    @Override
    public String toString() {
        return "RetryPolicy{initialDelay="
                + initialDelayMs
                + "ms, maxDelay="
                + maxDelayMs
                + "ms, maxAttempts="
                + (maxAttempts == UNLIMITED ? "unlimited" : maxAttempts)
                + "}";
    }
}
