package dev.substrate.bench;

import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongPredicate;

/**
 * What one run of {@link SchedulingLatencyBenchmark} saw, per request record: its event time and
 * broker append time (from the producer's acknowledgement; the topic stamps {@code LogAppendTime}),
 * and when the decision it triggered left the scheduler, with that decision's {@code
 * processing_latency_ms} (the time it was held in the scheduler). The producer, the probe in the
 * job (same JVM: the MiniCluster runs in this process) and the report share it through {@link
 * #current()}.
 *
 * <p>Records are numbered by their send slot: slot {@code 2k} submits request {@code r<k>}, slot
 * {@code 2(k + lag) + 1} completes it, so {@code lag} requests are in flight and every record
 * triggers exactly one decision of its own (ASSIGN, REROUTE, QUEUE or REJECT for a submission;
 * RELEASE for a completion). Decisions a record did not trigger itself (a queued request placed
 * later, an expiry) are counted, not timed.
 */
final class DecisionLedger {

    /** In {@code leftAt}: a record whose request had already ended, so it decides nothing. */
    private static final long NOTHING_TO_DECIDE = -1;

    private static volatile DecisionLedger current;

    private final int lag;
    private final AtomicLongArray eventTime;
    private final AtomicLongArray appendedAt;
    private final AtomicLongArray leftAt;
    private final AtomicLongArray heldMs;
    private final AtomicLong decisions = new AtomicLong();
    private final AtomicLong followUps = new AtomicLong();
    private final AtomicLong lateInputs = new AtomicLong();
    private final AtomicLongArray byAction = new AtomicLongArray(SchedulingAction.values().length);

    private DecisionLedger(int slots, int lag) {
        this.lag = lag;
        this.eventTime = new AtomicLongArray(slots);
        this.appendedAt = new AtomicLongArray(slots);
        this.leftAt = new AtomicLongArray(slots);
        this.heldMs = new AtomicLongArray(slots);
    }

    /** A fresh ledger of {@code slots} records with {@code lag} requests in flight, now current. */
    static DecisionLedger open(int slots, int lag) {
        current = new DecisionLedger(slots, lag);
        return current;
    }

    static DecisionLedger current() {
        return current;
    }

    int slots() {
        return eventTime.length();
    }

    int lag() {
        return lag;
    }

    static String requestId(long k) {
        return "r" + k;
    }

    /** The request a slot carries, or -1 for a completion slot with nothing in flight yet. */
    long requestOf(int slot) {
        if (slot % 2 == 0) {
            return slot / 2;
        }
        long j = (slot - 1) / 2;
        return j >= lag ? j - lag : -1;
    }

    private int slotOf(String requestId, boolean completion) {
        long k = Long.parseLong(requestId.substring(1));
        long slot = completion ? 2 * (k + lag) + 1 : 2 * k;
        return slot < slots() ? (int) slot : -1;
    }

    /** The producer stamped the record of {@code slot} with {@code at} as its event time. */
    void sent(int slot, long at) {
        eventTime.set(slot, at);
    }

    /** The broker appended the record of {@code slot} at {@code at}. */
    void appended(int slot, long at) {
        appendedAt.set(slot, at);
    }

    /** The probe behind the scheduler saw {@code d}. */
    void decided(SchedulingDecision d) {
        decisions.incrementAndGet();
        byAction.incrementAndGet(d.getAction().ordinal());
        int slot;
        if (d.getAction() == SchedulingAction.RELEASE && d.getCause() == null) {
            slot = slotOf(d.getRequestId(), true);
        } else if (d.getSequence() == 1) {
            slot = slotOf(d.getRequestId(), false);
        } else {
            followUps.incrementAndGet();
            return;
        }
        if (slot < 0) {
            return;
        }
        if (d.getDecidedAt().toEpochMilli() > eventTime.get(slot)) {
            // Behind the watermark on arrival: decided at once, at the latest time decided.
            lateInputs.incrementAndGet();
        }
        heldMs.set(slot, d.getProcessingLatencyMs());
        leftAt.set(slot, d.getEmittedAt().toEpochMilli());
        if (d.getAction() == SchedulingAction.REJECT) {
            // A rejected request has ended: its completion will change nothing, and decide nothing.
            int completion = slotOf(d.getRequestId(), true);
            if (completion >= 0) {
                leftAt.set(completion, NOTHING_TO_DECIDE);
            }
        }
    }

    /** The slot of request record {@code r}, or -1 when it is beyond the ledger. */
    int slotOf(WorkloadRequest r) {
        return slotOf(r.getRequestId(), r.getLifecycle() != RequestLifecycle.SUBMITTED);
    }

    /**
     * The baseline's probe: the record of {@code slot} reached the scheduler's input at {@code
     * arrivedAt}, and the watermark passed its event time at {@code now}.
     */
    void decidable(int slot, long arrivedAt, long now) {
        decisions.incrementAndGet();
        heldMs.set(slot, now - arrivedAt);
        leftAt.set(slot, now);
    }

    /** Decisions (baseline: requests the watermark passed) the probes have seen so far. */
    long decisions() {
        return decisions.get();
    }

    /** Records sent in slots {@code [from, to)} that nothing has answered yet. */
    long unanswered(int from, int to) {
        long open = 0;
        for (int s = from; s < to; s++) {
            if (appendedAt.get(s) != 0 && leftAt.get(s) == 0) {
                open++;
            }
        }
        return open;
    }

    /** Records sent in slots {@code [from, to)} whose append the broker acknowledged. */
    long appended(int from, int to) {
        long n = 0;
        for (int s = from; s < to; s++) {
            if (appendedAt.get(s) != 0 && leftAt.get(s) != NOTHING_TO_DECIDE) {
                n++;
            }
        }
        return n;
    }

    /**
     * The latencies of the records sent in slots {@code [from, to)}: total (append → decision
     * leaving the scheduler), held in the scheduler, and the transit before it.
     */
    Summary summary(int from, int to) {
        return summarize(from, to, left -> true);
    }

    /**
     * The latencies of the records whose decision left between {@code fromMillis} and {@code
     * toMillis} (wall clock), whenever they were sent: what a falling-behind scheduler's decisions
     * looked like while it was measured.
     */
    Summary decidedBetween(long fromMillis, long toMillis) {
        return summarize(0, slots(), left -> left >= fromMillis && left < toMillis);
    }

    private Summary summarize(int from, int to, LongPredicate leftWhen) {
        long[] total = new long[to - from];
        long[] held = new long[to - from];
        long[] transit = new long[to - from];
        int i = 0;
        int answered = 0;
        long heldSum = 0;
        long totalSum = 0;
        for (int s = from; s < to; s++) {
            long appended = appendedAt.get(s);
            long left = leftAt.get(s);
            if (appended == 0 || left == NOTHING_TO_DECIDE || (left != 0 && !leftWhen.test(left))) {
                continue;
            }
            if (left == 0) {
                if (!leftWhen.test(Long.MAX_VALUE)) {
                    continue;
                }
                total[i] = held[i] = transit[i] = Long.MAX_VALUE;
            } else {
                total[i] = Math.max(0, left - appended);
                held[i] = heldMs.get(s);
                transit[i] = Math.max(0, total[i] - held[i]);
                answered++;
                heldSum += held[i];
                totalSum += total[i];
            }
            i++;
        }
        total = Arrays.copyOf(total, i);
        held = Arrays.copyOf(held, i);
        transit = Arrays.copyOf(transit, i);
        Arrays.sort(total);
        Arrays.sort(held);
        Arrays.sort(transit);
        return new Summary(
                i, answered, total, held, transit, totalSum == 0 ? 0 : heldSum / (double) totalSum);
    }

    /** Decisions per action, followed-up decisions and late inputs, in words. */
    String actions() {
        StringBuilder out = new StringBuilder();
        for (SchedulingAction action : SchedulingAction.values()) {
            long n = byAction.get(action.ordinal());
            if (n > 0) {
                out.append(out.length() == 0 ? "" : ", ")
                        .append(String.format(Locale.ROOT, "%s %,d", action, n));
            }
        }
        return String.format(
                Locale.ROOT,
                "%s; %,d not triggered by a record of their own (queue retries, expiries: not"
                        + " timed); %,d inputs arrived behind the watermark (decided at once)",
                out.length() == 0 ? "none" : out,
                followUps.get(),
                lateInputs.get());
    }

    /**
     * Latencies of one window, sorted, in ms; an unanswered record counts as {@link Long#MAX_VALUE}
     * so that a percentile it reaches says so instead of looking better.
     *
     * @param heldShare Σ held ÷ Σ total over the answered records
     */
    record Summary(
            int records,
            int answered,
            long[] total,
            long[] held,
            long[] transit,
            double heldShare) {

        long p(long[] sorted, double q) {
            return sorted.length == 0 ? -1 : AlertLatencyProbe.Latencies.rank(sorted, q);
        }

        String describe(long[] sorted) {
            if (sorted.length == 0) {
                return "n/a";
            }
            return String.format(
                    Locale.ROOT,
                    "p50 %s / p99 %s / max %s",
                    ms(p(sorted, 0.50)),
                    ms(p(sorted, 0.99)),
                    ms(sorted[sorted.length - 1]));
        }

        private static String ms(long value) {
            return value == Long.MAX_VALUE
                    ? "undecided"
                    : String.format(Locale.ROOT, "%,d ms", value);
        }
    }
}
