package dev.substrate.operators.dedup;

import java.util.Objects;

/**
 * The key deduplication keeps its state under: a record's 128-bit event id, and the route that
 * decides which subtask handles it. Flink places a key by its {@link #hashCode()}, which is the
 * route: all the records of one route (one GPU's readings) reach the same subtask, in the order of
 * their Kafka partition, and stay there through the operators chained after deduplication. The
 * telemetry windows rely on it: their time-weighted integrals (energy, throttle shares) are exact
 * only when one subtask sees all of a GPU's readings in order.
 *
 * <p>A POJO (public fields, a no-argument constructor), so Flink serializes it without Kryo.
 */
public final class EventKey {

    /** The high 64 bits of the event id. */
    public long high;

    /** The low 64 bits of the event id. */
    public long low;

    /** What places the key: a hash of the routing field, or of the id when there is none. */
    public int route;

    public EventKey() {}

    public EventKey(long high, long low, int route) {
        this.high = high;
        this.low = low;
        this.route = route;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EventKey key
                && key.high == high
                && key.low == low
                && key.route == route;
    }

    @Override
    public int hashCode() {
        return route;
    }

    @Override
    public String toString() {
        return new java.util.UUID(high, low) + "@" + Objects.toString(route);
    }
}
