package dev.substrate.operators.telemetry.health;

import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What an XID error code means for the node that reported it: drain it, watch it, or only record
 * it. Defaults follow NVIDIA's XID catalog: codes that mean broken hardware or a GPU that needs a
 * reset drain the node; codes that are usually recoverable put it on watch; codes raised by the
 * application (its own faults) take no node action.
 *
 * @param drain codes that take the node out of scheduling until they stop being reported
 * @param watch codes that keep the node schedulable but flag it
 * @param application codes caused by the workload; recorded as a reason only
 */
public record XidTriage(Set<Integer> drain, Set<Integer> watch, Set<Integer> application)
        implements Serializable {

    /** The action an XID calls for. */
    public enum Action {
        DRAIN,
        WATCH,
        /** Recorded as a reason, no status change: application-side or unclassified codes. */
        RECORD
    }

    private static final Map<Integer, String> DESCRIPTIONS =
            Map.ofEntries(
                    Map.entry(13, "graphics engine exception (application)"),
                    Map.entry(31, "GPU memory page fault (application)"),
                    Map.entry(43, "GPU stopped processing (application)"),
                    Map.entry(45, "preemptive cleanup after an application error"),
                    Map.entry(48, "double-bit ECC error"),
                    Map.entry(63, "ECC page retirement or row remap recorded"),
                    Map.entry(64, "ECC page retirement or row remap failed"),
                    Map.entry(74, "NVLink error"),
                    Map.entry(79, "GPU has fallen off the bus"),
                    Map.entry(92, "high single-bit ECC error rate"),
                    Map.entry(94, "contained ECC error"),
                    Map.entry(95, "uncontained ECC error"));

    public XidTriage {
        drain = Set.copyOf(Objects.requireNonNull(drain, "drain"));
        watch = Set.copyOf(Objects.requireNonNull(watch, "watch"));
        application = Set.copyOf(Objects.requireNonNull(application, "application"));
    }

    /** Drain 48, 64, 74, 79, 94, 95; watch 63, 92; application 13, 31, 43, 45. */
    public static XidTriage defaults() {
        return new XidTriage(
                Set.of(48, 64, 74, 79, 94, 95), Set.of(63, 92), Set.of(13, 31, 43, 45));
    }

    /** The action for {@code xid}; codes in no list are recorded only (never a false drain). */
    public Action actionFor(int xid) {
        if (drain.contains(xid)) {
            return Action.DRAIN;
        }
        if (watch.contains(xid)) {
            return Action.WATCH;
        }
        return Action.RECORD;
    }

    /** A short description of {@code xid} for a health reason. */
    public String describe(int xid) {
        String known = DESCRIPTIONS.get(xid);
        if (known != null) {
            return known;
        }
        return application.contains(xid) ? "application error" : "unclassified";
    }
}
