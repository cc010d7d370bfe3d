package dev.substrate.operators.scheduling.state;

import java.util.Arrays;

/**
 * One tenant's account: GPUs in use per accelerator type (what its quota is checked against), its
 * recent usage decayed in event time (its fair share), and its inference token buckets. Keyed map
 * state of the scheduler (key: tenant). A Flink POJO.
 */
public class TenantBook {

    public String tenant;

    /** Accelerator types and GPUs of each in use, in parallel, sorted by type. */
    public String[] types = new String[0];

    public int[] gpusInUse = new int[0];

    /** GPU-seconds used, decayed with the fair-share half-life, as of {@link #decayedAt}. */
    public double decayedGpuSeconds;

    public long decayedAt = Long.MIN_VALUE;

    /** Bucket levels as of {@link #bucketAt}; NaN until first used (a bucket starts full). */
    public double requestTokens = Double.NaN;

    public double tokenTokens = Double.NaN;
    public long bucketAt = Long.MIN_VALUE;

    /** Requests of the tenant that have not ended. */
    public int live;

    public TenantBook() {}

    public static TenantBook of(String tenant) {
        TenantBook b = new TenantBook();
        b.tenant = tenant;
        return b;
    }

    public int inUse(String type) {
        int i = Arrays.binarySearch(types, type);
        return i >= 0 ? gpusInUse[i] : 0;
    }

    /** Every GPU in use, all types together. */
    public int totalInUse() {
        int n = 0;
        for (int g : gpusInUse) {
            n += g;
        }
        return n;
    }

    /** Adds {@code delta} GPUs of {@code type} (negative to free them). */
    public void addInUse(String type, int delta) {
        int i = Arrays.binarySearch(types, type);
        if (i < 0) {
            int at = -i - 1;
            String[] newTypes = new String[types.length + 1];
            int[] newGpus = new int[types.length + 1];
            System.arraycopy(types, 0, newTypes, 0, at);
            System.arraycopy(gpusInUse, 0, newGpus, 0, at);
            newTypes[at] = type;
            System.arraycopy(types, at, newTypes, at + 1, types.length - at);
            System.arraycopy(gpusInUse, at, newGpus, at + 1, types.length - at);
            types = newTypes;
            gpusInUse = newGpus;
            i = at;
        }
        gpusInUse[i] += delta;
        if (gpusInUse[i] < 0) {
            throw new IllegalStateException(
                    "Tenant " + tenant + " would use " + gpusInUse[i] + " GPUs of " + type);
        }
    }

    public TenantBook copy() {
        TenantBook c = new TenantBook();
        c.tenant = tenant;
        c.types = types.clone();
        c.gpusInUse = gpusInUse.clone();
        c.decayedGpuSeconds = decayedGpuSeconds;
        c.decayedAt = decayedAt;
        c.requestTokens = requestTokens;
        c.tokenTokens = tokenTokens;
        c.bucketAt = bucketAt;
        c.live = live;
        return c;
    }
}
