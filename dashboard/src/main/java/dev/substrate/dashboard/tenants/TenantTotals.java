package dev.substrate.dashboard.tenants;

import java.time.Instant;

/**
 * What one tenant has used, as {@link TenantUsage} attributes it.
 *
 * @param tenant the tenant
 * @param gpusHeld GPUs its placements hold now
 * @param gpuHours GPU-hours of its placements, the open ones up to {@code asOf}
 * @param energyJoules energy of the 1-minute node windows attributed to it
 * @param asOf the event time the totals are current up to
 */
public record TenantTotals(
        String tenant, int gpusHeld, double gpuHours, double energyJoules, Instant asOf) {}
