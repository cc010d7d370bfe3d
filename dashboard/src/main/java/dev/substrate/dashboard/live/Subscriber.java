package dev.substrate.dashboard.live;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * One browser's place in the {@link UpdateHub}: the updates not yet sent to it, at most a fixed
 * number, newest value per thing. A subscriber that falls further behind gets a snapshot instead.
 */
public final class Subscriber implements AutoCloseable {

    private final UpdateHub hub;
    private final int capacity;
    private final LinkedHashMap<String, Update> pending = new LinkedHashMap<>();
    private boolean snapshotNeeded;
    private long conflated;
    private long overflows;

    Subscriber(UpdateHub hub, int capacity) {
        this.hub = hub;
        this.capacity = capacity;
    }

    synchronized void offer(Update update) {
        if (snapshotNeeded) {
            return; // the snapshot it will get holds this update too
        }
        if (pending.remove(update.slot()) != null) {
            conflated++;
        }
        pending.put(update.slot(), update);
        if (pending.size() > capacity) {
            overflows++;
            needSnapshot();
        }
    }

    synchronized void needSnapshot() {
        pending.clear();
        snapshotNeeded = true;
    }

    /**
     * What to send next, or null when nothing is pending: either a snapshot (the hub's whole state)
     * or the pending updates in id order.
     */
    public Batch take() {
        // Lock order hub, then subscriber (as in publish), so a snapshot and the updates after
        // it cannot interleave.
        synchronized (hub) {
            synchronized (this) {
                if (snapshotNeeded) {
                    snapshotNeeded = false;
                    pending.clear();
                    return new Batch(hub.snapshot(), List.of());
                }
                if (pending.isEmpty()) {
                    return null;
                }
                List<Update> updates = new ArrayList<>(pending.values());
                updates.sort((a, b) -> Long.compare(a.id(), b.id()));
                pending.clear();
                return new Batch(null, updates);
            }
        }
    }

    /** Updates replaced by a newer value before they were sent (latest-value semantics). */
    public synchronized long conflated() {
        return conflated;
    }

    /** Times it fell so far behind that it was sent a snapshot instead. */
    public synchronized long overflows() {
        return overflows;
    }

    /** Updates waiting to be sent. */
    public synchronized int pendingCount() {
        return pending.size();
    }

    @Override
    public void close() {
        hub.unsubscribe(this);
    }

    /** What to send: a snapshot, or updates (one of the two). */
    public record Batch(UpdateHub.Snapshot snapshot, List<Update> updates) {}
}
