package dev.substrate.dashboard.live;

import java.util.Objects;

/**
 * One change to one thing a panel shows: the newest value of {@code key} in {@code panel} (a
 * window's row, a node's health, one anomaly), as JSON. A later update with the same panel and key
 * replaces it: that is how a late revision of a window corrects its point.
 *
 * @param id the position in the stream, increasing by one per update; the SSE event id
 * @param panel which panel it is for, e.g. {@code gpu-metrics}
 * @param key what it is within the panel, e.g. {@code h100-a|1764640800000}
 * @param json the value, a JSON object
 */
public record Update(long id, String panel, String key, String json) {

    public Update {
        Objects.requireNonNull(panel, "panel");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(json, "json");
    }

    /** What identifies the thing it updates: panel and key. */
    public String slot() {
        return panel + '\u0000' + key;
    }
}
