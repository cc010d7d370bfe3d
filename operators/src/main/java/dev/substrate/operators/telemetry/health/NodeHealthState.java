package dev.substrate.operators.telemetry.health;

import dev.substrate.events.NodeStatus;

/**
 * Keyed state of {@link NodeHealthFunction} for one node: its last published health and the clocks
 * the heartbeat needs. A Flink POJO (public fields, no-arg constructor), never Kryo.
 */
public class NodeHealthState {

    /** Marks "no timer pending" and "never". */
    public static final long NONE = Long.MIN_VALUE;

    public String region;
    public String cluster;
    public String node;

    /** The last published status; null before the first record is published. */
    public NodeStatus status;

    /** Event time the node entered {@link #status}. */
    public long since = NONE;

    /** Event time of the last published change. */
    public long changedAt = NONE;

    public int score;

    /** The last published reasons joined by newlines, to publish only changes. */
    public String reasonsDigest = "";

    /** Newest event time seen from the node. */
    public long lastSampleAt = NONE;

    /** Wall-clock (processing) time the last sample arrived. */
    public long lastArrivalWallClock = NONE;

    /** The pending event-time timer (heartbeat deadline or retention), or {@link #NONE}. */
    public long eventTimerAt = NONE;

    /** The pending wall-clock fallback timer, or {@link #NONE}. */
    public long wallClockTimerAt = NONE;

    public NodeHealthState() {}
}
