package dev.substrate.vectors;

import java.time.Instant;
import java.util.List;
import javax.annotation.Nullable;

/**
 * What a search found, and how complete the store was when it looked: every document with an event
 * time up to {@code completeUpTo} had been committed.
 *
 * @param query the query text
 * @param mode how documents were ranked
 * @param k how many were asked for
 * @param filter the filter applied
 * @param hits best first, at most {@code k}
 * @param completeUpTo the event time of the store's last commit watermark; null before the first
 *     commit ({@link StoreStatus#END_OF_INPUT} once a bounded input ended)
 * @param documents how many documents the store held
 * @param queryModel the model that embedded the query (null for BM25)
 * @param tookMicros how long the search took, embedding the query included
 * @param warnings what the reader should know (documents of another model, a query with no words)
 */
public record SearchAnswer(
        String query,
        SearchMode mode,
        int k,
        DocumentFilter filter,
        List<SearchHit> hits,
        @Nullable Instant completeUpTo,
        long documents,
        @Nullable String queryModel,
        long tookMicros,
        List<String> warnings) {

    /** "complete up to ..." in words. */
    public String completeUpToText() {
        return StoreStatus.describe(completeUpTo);
    }
}
