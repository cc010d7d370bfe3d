package dev.substrate.operators.policies;

import java.util.Arrays;

/**
 * The approvals and revocations of one model version, oldest first, so an invocation is judged by
 * the registry as it was at the invocation's event time, whatever order the two arrive in. A Flink
 * POJO with primitive arrays (no Kryo) for the broadcast state.
 */
public class ModelApprovalHistory {

    public long[] times = new long[0];
    public boolean[] approved = new boolean[0];

    public ModelApprovalHistory() {}

    /** This history with {@code change} added (a change at a time already known replaces it). */
    public ModelApprovalHistory with(long at, boolean isApproved) {
        int i = Arrays.binarySearch(times, at);
        ModelApprovalHistory next = new ModelApprovalHistory();
        if (i >= 0) {
            next.times = times.clone();
            next.approved = approved.clone();
            next.approved[i] = isApproved;
            return next;
        }
        int at0 = -i - 1;
        next.times = new long[times.length + 1];
        next.approved = new boolean[times.length + 1];
        System.arraycopy(times, 0, next.times, 0, at0);
        System.arraycopy(approved, 0, next.approved, 0, at0);
        next.times[at0] = at;
        next.approved[at0] = isApproved;
        System.arraycopy(times, at0, next.times, at0 + 1, times.length - at0);
        System.arraycopy(approved, at0, next.approved, at0 + 1, times.length - at0);
        return next;
    }

    /** Whether the version was approved at event time {@code at}: its last change up to then. */
    public boolean approvedAt(long at) {
        int i = Arrays.binarySearch(times, at);
        int last = i >= 0 ? i : -i - 2;
        return last >= 0 && approved[last];
    }
}
