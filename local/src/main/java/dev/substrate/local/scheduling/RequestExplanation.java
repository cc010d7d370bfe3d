package dev.substrate.local.scheduling;

import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.sinks.lake.LakeReader;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;

/**
 * The answer of {@code substrate why <request-id>}: a request's decisions from the {@code
 * scheduling_decisions} table, in order, and where it stands now in words — why it is pending, why
 * it was preempted, rejected or moved, why it runs where it runs — with the state each decision
 * read (the tenant's quota and usage, the best candidates and their scores).
 *
 * <p>It only repeats what the scheduler recorded when it decided; nothing is recomputed, so the
 * answer is the reason the decision had, not a guess under today's state.
 */
public final class RequestExplanation {

    private static final int CANDIDATES_SHOWN = 3;

    private final String requestId;
    private final List<Record> decisions;

    private RequestExplanation(String requestId, List<Record> decisions) {
        this.requestId = requestId;
        this.decisions = decisions;
    }

    /** The decisions about {@code requestId} in the lake, in the order they were taken. */
    public static RequestExplanation read(Catalog catalog, String requestId) {
        List<Record> found = new ArrayList<>();
        LakeReader.forEachRow(
                catalog,
                SchedulingStage.DECISIONS_TABLE,
                List.of("*"),
                row -> {
                    if (requestId.equals(row.getField("request_id"))) {
                        found.add(row.copy());
                    }
                });
        found.sort(Comparator.comparing(r -> (Integer) r.getField("sequence")));
        return new RequestExplanation(requestId, List.copyOf(found));
    }

    /** Whether the lake has any decision about the request. */
    public boolean found() {
        return !decisions.isEmpty();
    }

    /** The request's latest decision's action, e.g. {@code QUEUE}. */
    public String standing() {
        return String.valueOf(latest().getField("action"));
    }

    /** The reason its latest decision recorded. */
    public String reason() {
        return String.valueOf(latest().getField("reason"));
    }

    private Record latest() {
        if (decisions.isEmpty()) {
            throw new IllegalStateException("no decision about " + requestId);
        }
        return decisions.get(decisions.size() - 1);
    }

    /** The headline: where the request stands, in one sentence, then its reason. */
    public String headline() {
        Record last = latest();
        String action = standing();
        return switch (action) {
            case "ASSIGN" -> "It runs on " + where(last) + ": " + reason();
            case "REROUTE" ->
                    "It runs outside its preferred region "
                            + last.getField("preferred_region")
                            + ", on "
                            + where(last)
                            + ": "
                            + reason();
            case "RESCHEDULE" -> "It was moved to " + where(last) + ": " + reason();
            case "QUEUE" ->
                    "It is pending since " + time(last.getField("queued_since")) + ": " + reason();
            case "PREEMPT" -> "It was preempted and waits again: " + reason();
            case "REJECT" -> "It was rejected and will not be placed: " + reason();
            case "RELEASE" -> "It has ended: " + reason();
            default -> action + ": " + reason();
        };
    }

    public void print(PrintWriter out) {
        if (!found()) {
            out.printf(
                    "No decision about %s in %s. Check the request id; a request is decided"
                            + " once the watermark passes its event time, so a very recent one may"
                            + " not be decided yet.%n",
                    requestId, SchedulingStage.DECISIONS_TABLE);
            return;
        }
        Record first = decisions.get(0);
        out.printf(
                "Request %s (tenant %s, %s, %s × %s, priority %s%s)%n",
                requestId,
                first.getField("tenant"),
                first.getField("kind"),
                first.getField("gpus"),
                first.getField("accelerator_type"),
                first.getField("priority"),
                first.getField("gang_id") == null ? "" : ", gang " + first.getField("gang_id"));
        out.println(headline());
        Record last = latest();
        printState(out, last);
        out.println();
        out.println("Its decisions, in order:");
        for (Record d : decisions) {
            out.printf(
                    "  %2d  %s  %-10s %s%n     %s%n",
                    (Integer) d.getField("sequence"),
                    time(d.getField("decided_at")),
                    d.getField("action"),
                    d.getField("node") == null ? "" : "→ " + where(d),
                    d.getField("reason"));
        }
    }

    private static void printState(PrintWriter out, Record d) {
        Record quota = (Record) d.getField("quota");
        if (quota != null) {
            out.printf(
                    "  Tenant then: %s of %s nominal GPUs in use (borrowing limit %s, shared pool"
                            + " free %s), decayed usage %.2f GPU-hours%n",
                    quota.getField("gpus_in_use"),
                    quota.getField("nominal"),
                    quota.getField("borrowing_limit"),
                    quota.getField("shared_pool_free"),
                    (Double) quota.getField("decayed_gpu_hours"));
        }
        Object score = d.getField("score");
        if (score != null) {
            out.printf(Locale.ROOT, "  Score of the chosen place: %.1f%n", (Double) score);
        }
        @SuppressWarnings("unchecked")
        List<Record> candidates = (List<Record>) d.getField("candidates");
        if (candidates != null && !candidates.isEmpty()) {
            out.printf(
                    "  Nodes considered: %s; the best of them:%n", d.getField("nodes_considered"));
            candidates.stream()
                    .limit(CANDIDATES_SHOWN)
                    .forEach(
                            c ->
                                    out.printf(
                                            Locale.ROOT,
                                            "    %s/%s: %s GPUs fit, score %s%n",
                                            c.getField("cluster"),
                                            c.getField("node"),
                                            c.getField("fitting_gpus"),
                                            c.getField("score") == null
                                                    ? "-"
                                                    : String.format(
                                                            Locale.ROOT,
                                                            "%.1f",
                                                            (Double) c.getField("score"))));
        }
    }

    private static String where(Record d) {
        @SuppressWarnings("unchecked")
        List<Record> targets = (List<Record>) d.getField("targets");
        if (targets == null || targets.isEmpty()) {
            return d.getField("region") + "/" + d.getField("cluster") + "/" + d.getField("node");
        }
        List<String> parts = new ArrayList<>();
        for (Record t : targets) {
            parts.add(
                    t.getField("region")
                            + "/"
                            + t.getField("cluster")
                            + "/"
                            + t.getField("node")
                            + " GPUs "
                            + t.getField("gpu_indices"));
        }
        return String.join(", ", parts);
    }

    private static String time(Object value) {
        if (value instanceof OffsetDateTime t) {
            return t.toInstant().toString();
        }
        return value instanceof Instant i ? i.toString() : String.valueOf(value);
    }
}
