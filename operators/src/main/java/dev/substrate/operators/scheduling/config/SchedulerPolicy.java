package dev.substrate.operators.scheduling.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How the scheduler decides: the {@code policy} section of the quota file. Every value has a
 * default ({@link #defaults()}); build others with {@link #builder()}:
 *
 * <pre>{@code
 * SchedulerPolicy policy = SchedulerPolicy.builder()
 *         .placement(PlacementStrategy.SPREAD)
 *         .preemption(PreemptionPolicy.NEVER)
 *         .build();
 * }</pre>
 *
 * @param placement bin-pack or spread
 * @param preemption whether higher priorities may evict lower ones
 * @param fairShareHalfLife how fast a tenant's past GPU usage decays (not zero)
 * @param agingStep queue time that raises a waiting request's effective priority by one
 * @param reservationTimeout a placement without a STARTED event is freed after this
 * @param crossRegionPenalty score points lost per unit of distance to the preferred region
 * @param unhealthyRegionBelow a region whose share of healthy nodes is below this is avoided
 * @param telemetryStaleAfter GPUs without a reading for this long take no new work
 * @param finishedRetention how long an ended request is remembered
 * @param maxPending the most requests that may wait at once
 * @param retryLimit queued requests tried each time capacity frees
 * @param regionDistances distance between two regions (either order); pairs not listed are 1
 */
public record SchedulerPolicy(
        PlacementStrategy placement,
        PreemptionPolicy preemption,
        Duration fairShareHalfLife,
        Duration agingStep,
        Duration reservationTimeout,
        double crossRegionPenalty,
        double unhealthyRegionBelow,
        Duration telemetryStaleAfter,
        Duration finishedRetention,
        int maxPending,
        int retryLimit,
        SortedMap<String, SortedMap<String, Double>> regionDistances)
        implements Serializable {

    public SchedulerPolicy {
        Objects.requireNonNull(placement, "placement");
        Objects.requireNonNull(preemption, "preemption");
        requirePositive(fairShareHalfLife, "fair_share_half_life");
        requirePositive(agingStep, "aging_step");
        requirePositive(reservationTimeout, "reservation_timeout");
        requirePositive(telemetryStaleAfter, "telemetry_stale_after");
        requirePositive(finishedRetention, "finished_retention");
        if (!(crossRegionPenalty >= 0)) {
            throw new IllegalArgumentException(
                    "cross_region_penalty must not be negative: " + crossRegionPenalty);
        }
        if (!(unhealthyRegionBelow >= 0 && unhealthyRegionBelow <= 1)) {
            throw new IllegalArgumentException(
                    "unhealthy_region_below must be between 0 and 1: " + unhealthyRegionBelow);
        }
        if (maxPending < 1) {
            throw new IllegalArgumentException("max_pending must be at least 1: " + maxPending);
        }
        if (retryLimit < 1) {
            throw new IllegalArgumentException("retry_limit must be at least 1: " + retryLimit);
        }
        SortedMap<String, SortedMap<String, Double>> distances = new TreeMap<>();
        regionDistances.forEach(
                (from, row) ->
                        distances.put(from, Collections.unmodifiableSortedMap(new TreeMap<>(row))));
        regionDistances = Collections.unmodifiableSortedMap(distances);
    }

    /** Every value at its default (see the quota file's comments). */
    public static SchedulerPolicy defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this policy's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.placement = placement;
        b.preemption = preemption;
        b.fairShareHalfLife = fairShareHalfLife;
        b.agingStep = agingStep;
        b.reservationTimeout = reservationTimeout;
        b.crossRegionPenalty = crossRegionPenalty;
        b.unhealthyRegionBelow = unhealthyRegionBelow;
        b.telemetryStaleAfter = telemetryStaleAfter;
        b.finishedRetention = finishedRetention;
        b.maxPending = maxPending;
        b.retryLimit = retryLimit;
        b.regionDistances = new TreeMap<>(regionDistances);
        return b;
    }

    /** The distance between two regions: 0 for the same, the configured one, else 1. */
    public double distance(String from, String to) {
        if (from.equals(to)) {
            return 0;
        }
        Double d = row(from).get(to);
        if (d == null) {
            d = row(to).get(from);
        }
        return d == null ? 1.0 : d;
    }

    private Map<String, Double> row(String region) {
        Map<String, Double> row = regionDistances.get(region);
        return row == null ? Map.of() : row;
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    /** Builds a {@link SchedulerPolicy}; unset values keep their defaults. */
    public static final class Builder {
        private PlacementStrategy placement = PlacementStrategy.BIN_PACK;
        private PreemptionPolicy preemption = PreemptionPolicy.LOWER_PRIORITY;
        private Duration fairShareHalfLife = Duration.ofHours(1);
        private Duration agingStep = Duration.ofMinutes(5);
        private Duration reservationTimeout = Duration.ofMinutes(5);
        private double crossRegionPenalty = 20;
        private double unhealthyRegionBelow = 0.5;
        private Duration telemetryStaleAfter = Duration.ofSeconds(60);
        private Duration finishedRetention = Duration.ofHours(1);
        private int maxPending = 100_000;
        private int retryLimit = 64;
        private SortedMap<String, SortedMap<String, Double>> regionDistances = new TreeMap<>();

        private Builder() {}

        public Builder placement(PlacementStrategy value) {
            placement = value;
            return this;
        }

        public Builder preemption(PreemptionPolicy value) {
            preemption = value;
            return this;
        }

        public Builder fairShareHalfLife(Duration value) {
            fairShareHalfLife = value;
            return this;
        }

        public Builder agingStep(Duration value) {
            agingStep = value;
            return this;
        }

        public Builder reservationTimeout(Duration value) {
            reservationTimeout = value;
            return this;
        }

        public Builder crossRegionPenalty(double value) {
            crossRegionPenalty = value;
            return this;
        }

        public Builder unhealthyRegionBelow(double value) {
            unhealthyRegionBelow = value;
            return this;
        }

        public Builder telemetryStaleAfter(Duration value) {
            telemetryStaleAfter = value;
            return this;
        }

        public Builder finishedRetention(Duration value) {
            finishedRetention = value;
            return this;
        }

        public Builder maxPending(int value) {
            maxPending = value;
            return this;
        }

        public Builder retryLimit(int value) {
            retryLimit = value;
            return this;
        }

        /** Sets the distance between {@code from} and {@code to} (either order). */
        public Builder regionDistance(String from, String to, double distance) {
            if (!(distance >= 0)) {
                throw new IllegalArgumentException(
                        "region distance must not be negative: " + from + " → " + to);
            }
            regionDistances.computeIfAbsent(from, r -> new TreeMap<>()).put(to, distance);
            return this;
        }

        public SchedulerPolicy build() {
            return new SchedulerPolicy(
                    placement,
                    preemption,
                    fairShareHalfLife,
                    agingStep,
                    reservationTimeout,
                    crossRegionPenalty,
                    unhealthyRegionBelow,
                    telemetryStaleAfter,
                    finishedRetention,
                    maxPending,
                    retryLimit,
                    regionDistances);
        }
    }
}
