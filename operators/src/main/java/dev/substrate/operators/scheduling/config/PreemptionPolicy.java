package dev.substrate.operators.scheduling.config;

/**
 * Whether a request that cannot be placed may evict running work: NEVER, or LOWER_PRIORITY (only
 * reservations of strictly lower priority, which are re-queued).
 */
public enum PreemptionPolicy {
    NEVER,
    LOWER_PRIORITY
}
