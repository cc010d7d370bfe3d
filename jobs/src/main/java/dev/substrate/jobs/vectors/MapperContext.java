package dev.substrate.jobs.vectors;

import dev.substrate.operators.pii.FreeTextTokenizer;

/**
 * What a {@link DocumentMapper} gets when its task starts.
 *
 * @param freeText tokenizes personal data in free text with the job's PII key, so that a document's
 *     text carries tokens, never the values
 */
public record MapperContext(FreeTextTokenizer freeText) {}
