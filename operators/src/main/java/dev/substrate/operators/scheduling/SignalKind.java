package dev.substrate.operators.scheduling;

/** What a {@link FleetSignal} reports. */
public enum SignalKind {
    /** One GPU's reading: it exists, its memory, utilization and power. */
    READING,
    /** A node's health changed. */
    HEALTH,
    /** A cluster's capacity report. */
    CAPACITY,
    /** Nothing but the passing of event time: due timers up to it run (a bounded replay's end). */
    TICK
}
