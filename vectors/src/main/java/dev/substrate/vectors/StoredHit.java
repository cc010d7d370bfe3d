package dev.substrate.vectors;

/**
 * A document a store returned for one kNN or BM25 query, with the store's score (higher is better),
 * before any fusion.
 */
public record StoredHit(VectorDocument document, String model, double score) {}
