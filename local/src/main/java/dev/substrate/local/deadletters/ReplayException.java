package dev.substrate.local.deadletters;

/**
 * A replay could not be done, with a message naming what failed (Kafka, the registry, the topic)
 * and what to do about it; printed as is, without a stack trace.
 */
public final class ReplayException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ReplayException(String message) {
        super(message);
    }

    public ReplayException(String message, Throwable cause) {
        super(message, cause);
    }
}
