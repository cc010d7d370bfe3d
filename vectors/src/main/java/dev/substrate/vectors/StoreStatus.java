package dev.substrate.vectors;

import java.time.Instant;
import java.util.Map;
import javax.annotation.Nullable;

/**
 * What a store holds: its documents per kind and per embedding model, the vector dimension, and the
 * event time it is complete up to.
 *
 * @param location where the store is (a directory, a URL and collection)
 * @param documents how many documents it holds
 * @param kinds documents per kind
 * @param models documents per embedding model ({@code name@version})
 * @param dimensions the vectors' dimension, or 0 while empty
 * @param completeUpTo the event time of its last commit's watermark, or null before the first
 */
public record StoreStatus(
        String location,
        long documents,
        Map<String, Long> kinds,
        Map<String, Long> models,
        int dimensions,
        @Nullable Instant completeUpTo) {

    /** Event time "complete up to" for a bounded input that has ended. */
    public static final Instant END_OF_INPUT = Instant.ofEpochMilli(Long.MAX_VALUE);

    /** "complete up to ..." in words. */
    public String completeUpToText() {
        return describe(completeUpTo);
    }

    /** {@code completeUpTo} in words. */
    public static String describe(@Nullable Instant completeUpTo) {
        if (completeUpTo == null) {
            return "nothing committed yet";
        }
        return completeUpTo.equals(END_OF_INPUT) ? "the end of its input" : completeUpTo.toString();
    }
}
