package dev.substrate.sources.kafka;

import java.io.IOException;

/**
 * The schema registry stayed unreachable (or refused our credentials) for longer than the source
 * may wait on its task thread. Not bad input: the record is not dead-lettered; the task fails, and
 * Flink's restart strategy restarts the job from its last checkpoint, so nothing is lost.
 */
public final class SchemaRegistryOutageException extends IOException {

    private static final long serialVersionUID = 1L;

    public SchemaRegistryOutageException(String message, Throwable cause) {
        super(message, cause);
    }
}
