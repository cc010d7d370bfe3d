package dev.substrate.operators.scheduling.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.annotation.Nullable;

/**
 * One tenant's quota, per accelerator type: GPUs it owns ({@code nominal}), GPUs it may borrow
 * beyond that from the shared pool ({@code borrowing_limit}), what happens over quota, and its
 * inference token buckets.
 *
 * @param inference the token buckets, or null for none
 */
public record TenantQuota(
        SortedMap<String, Integer> nominal,
        SortedMap<String, Integer> borrowingLimit,
        OverQuotaAction overQuota,
        @Nullable InferenceLimits inference)
        implements Serializable {

    public TenantQuota {
        nominal = sortedCopy(nominal, "nominal");
        borrowingLimit = sortedCopy(borrowingLimit, "borrowing_limit");
        Objects.requireNonNull(overQuota, "overQuota");
    }

    /** GPUs of {@code acceleratorType} the tenant owns. */
    public int nominalOf(String acceleratorType) {
        return nominal.getOrDefault(acceleratorType, 0);
    }

    /** GPUs of {@code acceleratorType} it may borrow beyond its nominal quota. */
    public int borrowingLimitOf(String acceleratorType) {
        return borrowingLimit.getOrDefault(acceleratorType, 0);
    }

    private static SortedMap<String, Integer> sortedCopy(Map<String, Integer> map, String name) {
        Objects.requireNonNull(map, name);
        map.forEach(
                (type, gpus) -> {
                    if (gpus == null || gpus < 0) {
                        throw new IllegalArgumentException(
                                name + " of " + type + " must not be negative: " + gpus);
                    }
                });
        return Collections.unmodifiableSortedMap(new TreeMap<>(map));
    }
}
