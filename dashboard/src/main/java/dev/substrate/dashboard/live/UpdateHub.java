package dev.substrate.dashboard.live;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import javax.annotation.Nullable;

/**
 * Where feeds publish and browsers subscribe, with memory bounded three ways:
 *
 * <ul>
 *   <li>the <b>state</b>: the newest value of each thing each panel shows, at most {@code
 *       panelCapacity} per panel (the oldest forgotten first); a new subscriber starts from it;
 *   <li>the <b>replay buffer</b>: the last {@code replayCapacity} updates, so a subscriber that
 *       reconnects with {@code Last-Event-ID} gets exactly what it missed;
 *   <li>each subscriber's <b>pending</b> updates, at most {@code subscriberCapacity}, with
 *       latest-value semantics: a newer value of the same thing replaces the one not yet sent.
 * </ul>
 *
 * A subscriber too far behind for either buffer is sent the state again (a snapshot) instead: never
 * a gap, never unbounded memory.
 */
public final class UpdateHub {

    private final int panelCapacity;
    private final int replayCapacity;
    private final int subscriberCapacity;
    private final Map<String, LinkedHashMap<String, Update>> state = new LinkedHashMap<>();
    private final Deque<Update> replay = new ArrayDeque<>();
    private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();
    private long lastId;

    private UpdateHub(int panelCapacity, int replayCapacity, int subscriberCapacity, long firstId) {
        this.panelCapacity = panelCapacity;
        this.replayCapacity = replayCapacity;
        this.subscriberCapacity = subscriberCapacity;
        this.lastId = firstId - 1;
    }

    /**
     * @param panelCapacity things kept per panel for new subscribers
     * @param replayCapacity updates kept for reconnecting subscribers
     * @param subscriberCapacity updates pending per subscriber before it gets a snapshot instead
     */
    public static UpdateHub create(int panelCapacity, int replayCapacity, int subscriberCapacity) {
        if (panelCapacity < 1 || replayCapacity < 1 || subscriberCapacity < 1) {
            throw new IllegalArgumentException("Every capacity must be at least 1");
        }
        // Ids start at the clock (microseconds), so they keep rising across dashboard restarts:
        // a browser's Last-Event-ID from before a restart is older than anything here, and gets a
        // snapshot, never updates it would take for the ones it missed.
        return new UpdateHub(
                panelCapacity,
                replayCapacity,
                subscriberCapacity,
                System.currentTimeMillis() * 1000);
    }

    /** A hub whose first update has id {@code firstId} (tests). */
    static UpdateHub startingAt(
            long firstId, int panelCapacity, int replayCapacity, int subscriberCapacity) {
        return new UpdateHub(panelCapacity, replayCapacity, subscriberCapacity, firstId);
    }

    /** Publishes the newest value of {@code key} in {@code panel} to every subscriber. */
    public synchronized Update publish(String panel, String key, String json) {
        Update update = new Update(++lastId, panel, key, json);
        LinkedHashMap<String, Update> values =
                state.computeIfAbsent(panel, p -> new LinkedHashMap<>());
        values.remove(key);
        values.put(key, update);
        if (values.size() > panelCapacity) {
            Iterator<String> eldest = values.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
        replay.addLast(update);
        if (replay.size() > replayCapacity) {
            replay.removeFirst();
        }
        for (Subscriber subscriber : subscribers) {
            subscriber.offer(update);
        }
        return update;
    }

    /** The id of the newest update (one less than the first before there is one). */
    public synchronized long lastId() {
        return lastId;
    }

    /**
     * A new subscriber. With {@code lastEventId} (a reconnect) it first gets every update after
     * that id from the replay buffer, or a snapshot when the buffer no longer reaches back that
     * far; without, a snapshot.
     */
    public synchronized Subscriber subscribe(@Nullable Long lastEventId) {
        Subscriber subscriber = new Subscriber(this, subscriberCapacity);
        boolean replayable =
                lastEventId != null
                        && lastEventId <= lastId
                        && (lastEventId == lastId
                                || (!replay.isEmpty()
                                        && replay.peekFirst().id() <= lastEventId + 1));
        if (replayable) {
            for (Update update : replay) {
                if (update.id() > lastEventId) {
                    subscriber.offer(update);
                }
            }
        } else {
            subscriber.needSnapshot();
        }
        subscribers.add(subscriber);
        return subscriber;
    }

    /** Subscribers now connected. */
    public int subscriberCount() {
        return subscribers.size();
    }

    void unsubscribe(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    /** Every panel's current values, oldest update first, and the id they are current up to. */
    public synchronized Snapshot snapshot() {
        List<Update> updates = new ArrayList<>();
        state.values().forEach(values -> updates.addAll(values.values()));
        updates.sort(Comparator.comparingLong(Update::id));
        return new Snapshot(lastId, updates);
    }

    /** The values of one panel, oldest update first (for tests and JSON endpoints). */
    public synchronized List<Update> panel(String panel) {
        return new ArrayList<>(state.getOrDefault(panel, new LinkedHashMap<>()).values());
    }

    /** Panels with at least one value, and how many each holds. */
    public synchronized Map<String, Integer> panelSizes() {
        Map<String, Integer> sizes = new HashMap<>();
        state.forEach((panel, values) -> sizes.put(panel, values.size()));
        return sizes;
    }

    /** The whole state at one update id. */
    public record Snapshot(long lastId, List<Update> updates) {}
}
