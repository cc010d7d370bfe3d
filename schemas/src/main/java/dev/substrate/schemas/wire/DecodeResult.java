package dev.substrate.schemas.wire;

import dev.substrate.events.DeadLetterReason;
import java.util.Objects;

/**
 * The outcome of decoding one wire-format value: either the record, or why it could not be decoded
 * (a dead-letter reason and a message for a person). {@code schemaId} is set whenever the frame
 * header could be read.
 *
 * @param record the decoded record, null on failure
 * @param failure why decoding failed, null on success
 * @param schemaId the writer schema id of the frame, null when the value was not a frame
 * @param message what was wrong, null on success
 */
public record DecodeResult<T>(
        T record, DeadLetterReason failure, Integer schemaId, String message) {

    public DecodeResult {
        if ((record == null) == (failure == null)) {
            throw new IllegalArgumentException("exactly one of record and failure must be set");
        }
    }

    public static <T> DecodeResult<T> ok(T record, int schemaId) {
        return new DecodeResult<>(Objects.requireNonNull(record, "record"), null, schemaId, null);
    }

    public static <T> DecodeResult<T> failed(
            DeadLetterReason reason, Integer schemaId, String message) {
        return new DecodeResult<>(
                null,
                Objects.requireNonNull(reason, "reason"),
                schemaId,
                Objects.requireNonNull(message, "message"));
    }

    public boolean ok() {
        return failure == null;
    }
}
