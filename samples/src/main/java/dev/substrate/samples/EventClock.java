package dev.substrate.samples;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The event times of a generator: one event per {@code spacing} on average, jittered within its
 * slot so that times look irregular yet never go backwards.
 */
final class EventClock {

    private final long startMillis;
    private final double spacingMillis;
    private final SampleRandom random;
    private long ticks;

    EventClock(Instant start, Duration spacing, SampleRandom random) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(spacing, "spacing");
        if (spacing.isNegative() || spacing.isZero()) {
            throw new IllegalArgumentException("spacing must be positive: " + spacing);
        }
        this.startMillis = start.toEpochMilli();
        this.spacingMillis = spacing.toNanos() / 1e6;
        this.random = random;
    }

    /** About the time of the next event (the start of its slot), without taking it. */
    Instant peek() {
        return Instant.ofEpochMilli(startMillis + (long) (ticks * spacingMillis));
    }

    /** The time of the next event. */
    Instant next() {
        double slot = ticks++ * spacingMillis;
        return Instant.ofEpochMilli(
                startMillis + (long) (slot + random.uniform() * 0.9 * spacingMillis));
    }
}
