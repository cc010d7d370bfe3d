package dev.substrate.bench;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic, varied document texts for the vector benchmarks, shaped like the documents the job
 * indexes (node-health incidents, GPU anomalies, enterprise events, dead letters): text number
 * {@code i} is always the same, and neighbouring numbers differ in words, not only in digits.
 */
final class IncidentTexts {

    /** The document kinds of the job, for metadata and filters. */
    static final List<String> KINDS =
            List.of(
                    "node-health",
                    "gpu-anomaly",
                    "crm-event",
                    "erp-event",
                    "logs-event",
                    "dead-letter",
                    "policy-violation",
                    "scheduling-decision");

    private static final List<String> SUBJECTS =
            List.of(
                    "Node",
                    "GPU",
                    "Worker",
                    "Training job",
                    "Inference pod",
                    "Host",
                    "Rack switch",
                    "NVLink bridge");
    private static final List<String> EVENTS =
            List.of(
                    "went DOWN after",
                    "was marked DEGRADED because of",
                    "reported",
                    "was drained following",
                    "recovered from",
                    "was cordoned due to",
                    "raised an alert for",
                    "was rejected by the scheduler for");
    private static final List<String> CAUSES =
            List.of(
                    "Xid 79 (GPU fell off the bus)",
                    "double-bit ECC errors",
                    "thermal throttling above 87 C",
                    "power draw at the 700 W cap",
                    "NVLink CRC errors",
                    "memory utilization at 99%",
                    "a missed heartbeat",
                    "PCIe replay errors",
                    "a quota exceeded in the tenant's namespace",
                    "preemption by a higher-priority job",
                    "an overdue invoice on the account",
                    "a customer complaint about slow training",
                    "a schema the registry does not know",
                    "a failed login from an unknown address",
                    "a disk filling up on the scratch volume",
                    "a driver version mismatch");
    private static final List<String> CONTEXT =
            List.of(
                    "utilization fell from 97% to 0% within a minute",
                    "temperature rose 12 C in five minutes",
                    "two other GPUs on the node stayed healthy",
                    "the job was restarted from its last checkpoint",
                    "the ticket was escalated to the on-call engineer",
                    "the same error appeared on this node last week",
                    "the cluster's queue grew to 40 pending jobs",
                    "no action was taken because the node was already drained");

    private IncidentTexts() {}

    /** Text number {@code i}. */
    static String text(long i) {
        SplittableRandom random = new SplittableRandom(i * 0x9E3779B97F4A7C15L + 17);
        return SUBJECTS.get(random.nextInt(SUBJECTS.size()))
                + " "
                + node(i)
                + " in cluster "
                + cluster(i)
                + " "
                + EVENTS.get(random.nextInt(EVENTS.size()))
                + " "
                + CAUSES.get(random.nextInt(CAUSES.size()))
                + "; "
                + CONTEXT.get(random.nextInt(CONTEXT.size()))
                + ". Ticket T-"
                + (10_000 + i);
    }

    /** A query in other words than the texts: what an operator or an agent would ask. */
    static String query(long i) {
        SplittableRandom random = new SplittableRandom(i * 31 + 5);
        List<String> asks =
                List.of(
                        "which GPUs disconnected from the bus",
                        "memory errors on the accelerators",
                        "nodes overheating",
                        "jobs that were preempted",
                        "tenants over quota",
                        "customers unhappy with training speed",
                        "unpaid invoices",
                        "suspicious logins",
                        "why was node " + node(random.nextInt(5_000)) + " drained",
                        "incidents in cluster " + cluster(random.nextInt(64)));
        return asks.get(random.nextInt(asks.size()));
    }

    static String kind(long i) {
        return KINDS.get((int) (i % KINDS.size()));
    }

    static String cluster(long i) {
        return "c" + (i % 8);
    }

    private static String node(long i) {
        return "n" + (i % 5_000);
    }
}
