package dev.substrate.operators.windows;

/**
 * An accumulator that can travel as a partial aggregate of one key's tumbling window: {@link
 * LocalWindowPreAggregator} stamps the key and bounds on it before sending it downstream.
 */
public interface WindowPartial {

    /** Records which key and which window {@code [start, end)} the partial belongs to. */
    void stamp(String key, long start, long end);
}
