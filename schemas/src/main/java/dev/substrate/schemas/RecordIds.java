package dev.substrate.schemas;

import dev.substrate.events.ClusterCapacity;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.GpuMetrics;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.PolicyViolation;
import dev.substrate.events.SchedulingDecision;

/**
 * The deterministic id of every record the pipeline publishes: made from the fields that identify
 * it, so the same record made again (after a restart from a checkpoint) has the same id, and a
 * consumer of an at-least-once output drops what it has seen. Kafka outputs carry it in the header
 * {@code substrate.record-id}.
 */
public final class RecordIds {

    private RecordIds() {}

    /**
     * A window row: level, entity, window and its sample count (a late update of the same window
     * counts more samples, so it is a record of its own).
     */
    public static String of(GpuMetrics row) {
        return row.getLevel()
                + ":"
                + row.getCluster()
                + "/"
                + row.getNode()
                + "/"
                + row.getGpuUuid()
                + ":"
                + row.getWindowStart().toEpochMilli()
                + ":"
                + row.getWindowSizeS()
                + "s:n"
                + row.getSampleCount();
    }

    /** A health change: node and the event time of the change. */
    public static String of(NodeHealth change) {
        return change.getCluster()
                + "/"
                + change.getNode()
                + "@"
                + change.getChangedAt().toEpochMilli()
                + ":"
                + change.getStatus();
    }

    /** An anomaly: GPU, metric and the reading that confirmed it. */
    public static String of(GpuAnomaly anomaly) {
        return anomaly.getGpuUuid()
                + ":"
                + anomaly.getMetric()
                + "@"
                + anomaly.getTimestamp().toEpochMilli();
    }

    /** A capacity report: cluster and the event time it holds at. */
    public static String of(ClusterCapacity report) {
        return report.getCluster() + "@" + report.getTimestamp().toEpochMilli();
    }

    /** A dead letter: the Kafka record it stands for. */
    public static String of(DeadLetter deadLetter) {
        return deadLetter.getSourceTopic()
                + "/"
                + deadLetter.getSourcePartition()
                + "@"
                + deadLetter.getSourceOffset();
    }

    /** A scheduling decision: its request and its place in the request's decisions. */
    public static String of(SchedulingDecision decision) {
        return decision.getDecisionId();
    }

    /**
     * A policy violation: its incident and its revision (the revision that closes a cool-down with
     * suppressed repeats is a record of its own).
     */
    public static String of(PolicyViolation violation) {
        return violation.getViolationId() + "#r" + violation.getRevision();
    }
}
