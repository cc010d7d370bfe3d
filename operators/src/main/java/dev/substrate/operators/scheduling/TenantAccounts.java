package dev.substrate.operators.scheduling;

import dev.substrate.events.QuotaView;
import dev.substrate.operators.scheduling.config.InferenceLimits;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.TenantQuota;
import dev.substrate.operators.scheduling.state.RequestBook;
import dev.substrate.operators.scheduling.state.TenantBook;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.annotation.Nullable;

/**
 * The tenants' side of scheduling: quota checks (nominal plus borrowing from the shared pool), the
 * inference token buckets, and each tenant's recent GPU usage decayed in event time (fair share).
 * All arithmetic is in event time and in a fixed order, so the same inputs give the same answers.
 */
final class TenantAccounts {

    private static final long MINUTE = 60_000;

    /** The outcome of a check: OK, WAIT (with a time to retry, or none), or NEVER. */
    enum Verdict {
        OK,
        WAIT,
        NEVER
    }

    /** A check's outcome and why, in words. */
    record Check(Verdict verdict, String reason, long retryAt) {
        static final Check OK = new Check(Verdict.OK, "", RequestBook.NONE);

        boolean ok() {
            return verdict == Verdict.OK;
        }
    }

    private final SchedulerConfig config;
    private final SchedulerState state;
    private final double decayPerMilli;

    TenantAccounts(SchedulerConfig config, SchedulerState state) {
        this.config = config;
        this.state = state;
        this.decayPerMilli = Math.log(2) / config.policy().fairShareHalfLife().toMillis();
    }

    /** The GPUs of each type a unit of requests asks for, by type. */
    static Map<String, Integer> demand(List<RequestBook> unit) {
        Map<String, Integer> need = new TreeMap<>();
        for (RequestBook r : unit) {
            need.merge(r.acceleratorType, r.gpus, Integer::sum);
        }
        return need;
    }

    /** Whether the tenant may hold {@code need} more GPUs: now, later, or never. */
    Check quota(String tenant, TenantQuota quota, Map<String, Integer> need) {
        TenantBook book = state.tenant(tenant);
        for (Map.Entry<String, Integer> e : need.entrySet()) {
            String type = e.getKey();
            int asks = e.getValue();
            int nominal = quota.nominalOf(type);
            int limit = quota.borrowingLimitOf(type);
            int pool = config.poolOf(type);
            int most = nominal + Math.min(limit, pool);
            if (asks > most) {
                return new Check(
                        Verdict.NEVER,
                        String.format(
                                "asks %d %s GPUs but tenant %s may hold at most %d (%d nominal +"
                                        + " %d it may borrow from the shared pool of %d)",
                                asks, type, tenant, most, nominal, Math.min(limit, pool), pool),
                        RequestBook.NONE);
            }
            int inUse = book == null ? 0 : book.inUse(type);
            int borrowedNow = Math.max(0, inUse - nominal);
            int borrowedAfter = Math.max(0, inUse + asks - nominal);
            int poolFree = pool - state.borrowed(type);
            if (borrowedAfter > limit || borrowedAfter - borrowedNow > poolFree) {
                return new Check(
                        Verdict.WAIT,
                        String.format(
                                "tenant %s has %d %s GPUs in use and asks %d more: over its %d"
                                        + " nominal it may borrow %d (borrowing limit %d; the"
                                        + " shared pool has %d of %d free)",
                                tenant,
                                inUse,
                                type,
                                asks,
                                nominal,
                                Math.max(0, Math.min(limit, borrowedNow + poolFree) - borrowedNow),
                                limit,
                                Math.max(0, poolFree),
                                pool),
                        RequestBook.NONE);
            }
        }
        return Check.OK;
    }

    /**
     * Whether the tenant's inference buckets hold {@code requests} requests and {@code tokens}
     * tokens at {@code now}; WAIT carries when they will.
     */
    Check buckets(String tenant, TenantQuota quota, int requests, long tokens, long now) {
        InferenceLimits limits = quota.inference();
        if (limits == null || requests == 0) {
            return Check.OK;
        }
        if (limits.requestsPerMinute() > 0 && requests > limits.requestsPerMinute()) {
            return new Check(
                    Verdict.NEVER,
                    String.format(
                            "a gang of %d inference requests is more than tenant %s may start in"
                                    + " a minute (%d)",
                            requests, tenant, limits.requestsPerMinute()),
                    RequestBook.NONE);
        }
        if (limits.tokensPerMinute() > 0 && tokens > limits.tokensPerMinute()) {
            return new Check(
                    Verdict.NEVER,
                    String.format(
                            "asks for %,d tokens per minute but tenant %s's token bucket holds at"
                                    + " most %,d",
                            tokens, tenant, limits.tokensPerMinute()),
                    RequestBook.NONE);
        }
        double[] levels = levels(state.tenant(tenant), limits, now);
        long waitRequests = wait(levels[0], requests, limits.requestsPerMinute());
        long waitTokens = wait(levels[1], tokens, limits.tokensPerMinute());
        long wait = Math.max(waitRequests, waitTokens);
        if (wait == 0) {
            return Check.OK;
        }
        String which =
                waitTokens >= waitRequests
                        ? String.format(
                                "its token bucket has %,d of %,d tokens per minute left and this"
                                        + " request needs %,d",
                                (long) Math.floor(levels[1]), limits.tokensPerMinute(), tokens)
                        : String.format(
                                "it has started %d inference requests in the last minute, its"
                                        + " limit",
                                limits.requestsPerMinute());
        return new Check(
                Verdict.WAIT, "tenant " + tenant + "'s inference rate limit: " + which, now + wait);
    }

    /** Takes what a placed inference request uses from its tenant's buckets. */
    void charge(TenantBook book, TenantQuota quota, int requests, long tokens, long now) {
        InferenceLimits limits = quota.inference();
        if (limits == null || requests == 0) {
            return;
        }
        double[] levels = levels(book, limits, now);
        book.requestTokens = levels[0] - (limits.requestsPerMinute() > 0 ? requests : 0);
        book.tokenTokens = levels[1] - (limits.tokensPerMinute() > 0 ? tokens : 0);
        book.bucketAt = now;
        state.touch(book);
    }

    /** Request and token levels at {@code now}: full at first, refilled per event time since. */
    private static double[] levels(@Nullable TenantBook book, InferenceLimits limits, long now) {
        double requests = limits.requestsPerMinute();
        double tokens = limits.tokensPerMinute();
        if (book != null && !Double.isNaN(book.requestTokens)) {
            double minutes = Math.max(0, now - book.bucketAt) / (double) MINUTE;
            requests = Math.min(requests, book.requestTokens + minutes * requests);
            tokens = Math.min(tokens, book.tokenTokens + minutes * tokens);
        }
        return new double[] {requests, tokens};
    }

    /**
     * Milliseconds until a bucket at {@code level} refilling {@code perMinute} holds {@code need}.
     */
    private static long wait(double level, double need, long perMinute) {
        if (perMinute <= 0 || level >= need) {
            return 0;
        }
        return (long) Math.ceil((need - level) * MINUTE / perMinute);
    }

    /** The tenant's decayed GPU-seconds at {@code now}, without changing its book. */
    double decayedAt(@Nullable TenantBook book, long now) {
        if (book == null || book.decayedAt == Long.MIN_VALUE) {
            return 0;
        }
        long elapsed = Math.max(0, now - book.decayedAt);
        if (elapsed == 0) {
            return book.decayedGpuSeconds;
        }
        double keep = StrictMath.exp(-decayPerMilli * elapsed);
        // GPUs held all along since decayedAt add their (decaying) GPU-seconds.
        double added = book.totalInUse() * (1 - keep) / decayPerMilli / 1000.0;
        return book.decayedGpuSeconds * keep + added;
    }

    /** Brings the decayed usage to {@code now}; call before the GPUs held change. */
    void settle(TenantBook book, long now) {
        if (book.decayedAt != Long.MIN_VALUE && now <= book.decayedAt) {
            return;
        }
        book.decayedGpuSeconds = decayedAt(book, now);
        book.decayedAt = now;
        state.touch(book);
    }

    /** {@code r} now holds its GPUs: its tenant's usage grows. */
    void take(RequestBook r, long now) {
        TenantBook book = state.tenantOrNew(r.tenant);
        settle(book, now);
        book.addInUse(r.acceleratorType, r.gpus);
        state.touch(book);
    }

    /** {@code r} holds its GPUs no more. */
    void give(RequestBook r, long now) {
        TenantBook book = state.tenantOrNew(r.tenant);
        settle(book, now);
        book.addInUse(r.acceleratorType, -r.gpus);
        state.touch(book);
    }

    /** The tenant's quota and usage of {@code type} at {@code now}, for a decision record. */
    QuotaView view(String tenant, @Nullable TenantQuota quota, String type, long now) {
        TenantBook book = state.tenant(tenant);
        Double requestsLeft = null;
        Double tokensLeft = null;
        if (quota != null && quota.inference() != null) {
            double[] levels = levels(book, quota.inference(), now);
            requestsLeft = round(levels[0]);
            tokensLeft = round(levels[1]);
        }
        return QuotaView.newBuilder()
                .setGpusInUse(book == null ? 0 : book.inUse(type))
                .setNominal(quota == null ? 0 : quota.nominalOf(type))
                .setBorrowingLimit(quota == null ? 0 : quota.borrowingLimitOf(type))
                .setSharedPoolFree(Math.max(0, config.poolOf(type) - state.borrowed(type)))
                .setDecayedGpuHours(round(decayedAt(book, now) / 3600.0))
                .setRequestTokensLeft(requestsLeft)
                .setTokenTokensLeft(tokensLeft)
                .build();
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
