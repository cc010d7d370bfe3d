package dev.substrate.local.scheduling;

import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one set of decisions amounts to, for {@code substrate replay}'s side-by-side comparison:
 * requests placed, queued, rejected, preempted and moved, the queue time of those that waited, and
 * the GPU-hours allocated per tenant up to the end of the interval.
 *
 * @param decisions all decisions
 * @param placed requests placed at least once (ASSIGN or REROUTE)
 * @param queued requests queued at least once
 * @param rejected REJECT decisions
 * @param preempted PREEMPT decisions
 * @param rescheduled RESCHEDULE decisions
 * @param meanQueueTime mean time from a request's first QUEUE to its placement, over those placed
 * @param p95QueueTime the 95th percentile of the same
 * @param gpuHoursPerTenant GPU-hours held per tenant between placements and their ends (or the end
 *     of the interval)
 */
public record DecisionStats(
        int decisions,
        int placed,
        int queued,
        int rejected,
        int preempted,
        int rescheduled,
        Duration meanQueueTime,
        Duration p95QueueTime,
        Map<String, Double> gpuHoursPerTenant) {

    /** The stats of {@code decisions} (any order), GPU-hours counted up to {@code until}. */
    static DecisionStats of(List<SchedulingDecision> decisions, Instant until) {
        Map<String, List<SchedulingDecision>> byRequest = new TreeMap<>();
        for (SchedulingDecision d : decisions) {
            byRequest.computeIfAbsent(d.getRequestId(), id -> new ArrayList<>()).add(d);
        }
        Set<String> placed = new TreeSet<>();
        Set<String> queued = new TreeSet<>();
        int rejected = 0;
        int preempted = 0;
        int rescheduled = 0;
        List<Long> waits = new ArrayList<>();
        Map<String, Double> gpuHours = new TreeMap<>();
        for (List<SchedulingDecision> history : byRequest.values()) {
            history.sort(Comparator.comparingInt(SchedulingDecision::getSequence));
            Instant queuedAt = null;
            Instant heldSince = null;
            for (SchedulingDecision d : history) {
                SchedulingAction action = d.getAction();
                Instant at = d.getDecidedAt();
                if (heldSince != null) {
                    gpuHours.merge(d.getTenant(), gpuHours(d, heldSince, at), Double::sum);
                    heldSince = null;
                }
                switch (action) {
                    case ASSIGN, REROUTE -> {
                        placed.add(d.getRequestId());
                        if (queuedAt != null) {
                            waits.add(Duration.between(queuedAt, at).toMillis());
                            queuedAt = null;
                        }
                        heldSince = at;
                    }
                    case RESCHEDULE -> heldSince = at;
                    case QUEUE -> {
                        queued.add(d.getRequestId());
                        if (queuedAt == null) {
                            queuedAt = at;
                        }
                    }
                    case PREEMPT -> {
                        preempted++;
                        queuedAt = at;
                    }
                    case REJECT -> rejected++;
                    case RELEASE -> {}
                }
                if (action == SchedulingAction.RESCHEDULE) {
                    rescheduled++;
                }
            }
            if (heldSince != null && heldSince.isBefore(until)) {
                SchedulingDecision last = history.get(history.size() - 1);
                gpuHours.merge(last.getTenant(), gpuHours(last, heldSince, until), Double::sum);
            }
        }
        Collections.sort(waits);
        long mean =
                waits.isEmpty()
                        ? 0
                        : Math.round(waits.stream().mapToLong(w -> w).average().orElse(0));
        long p95 =
                waits.isEmpty()
                        ? 0
                        : waits.get(Math.max(0, (int) Math.ceil(0.95 * waits.size()) - 1));
        return new DecisionStats(
                decisions.size(),
                placed.size(),
                queued.size(),
                rejected,
                preempted,
                rescheduled,
                Duration.ofMillis(mean),
                Duration.ofMillis(p95),
                gpuHours);
    }

    private static double gpuHours(SchedulingDecision d, Instant from, Instant to) {
        return d.getGpus() * Math.max(0, Duration.between(from, to).toMillis()) / 3_600_000.0;
    }
}
