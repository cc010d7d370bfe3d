package dev.substrate.operators.scheduling.config;

/**
 * What happens to a request over its tenant's quota: QUEUE waits until quota frees, REJECT refuses
 * it at once.
 */
public enum OverQuotaAction {
    QUEUE,
    REJECT
}
