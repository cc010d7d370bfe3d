package dev.substrate.jobs.vectors;

import dev.substrate.vectors.VectorDocument;
import java.io.Serializable;
import javax.annotation.Nullable;

/**
 * Turns one kind of pipeline record into a retrievable document: adding a kind to the vector store
 * is one class implementing this and one line in {@code SubstrateJob.build}:
 *
 * <pre>{@code
 * VectorDocumentsStage.documents()
 *         .from(fleet.nodeHealth(), new NodeHealthDocuments())
 *         .from(scheduling.decisions(), new SchedulingDecisionDocuments()); // a new kind
 * }</pre>
 *
 * <p>A document needs a deterministic id (made from the record's identity, with a prefix per kind),
 * a kind, the text to embed (free text goes through {@link MapperContext#freeText()}: PII is
 * tokenized before the store), its event time, metadata to filter by (severity, region, cluster,
 * tenant, node, ...) and its lineage: the lake table and a predicate that selects the row.
 *
 * @param <T> the record type (Avro, as the stages emit it)
 */
public interface DocumentMapper<T> extends Serializable {

    /** What it maps, for its operator's uid ({@code vector-documents-<name>}): never change it. */
    String name();

    /** Called once per task before the first record. */
    default void open(MapperContext context) {}

    /** The document of {@code record}, or null when the record is not worth retrieving. */
    @Nullable
    VectorDocument toDocument(T record);
}
