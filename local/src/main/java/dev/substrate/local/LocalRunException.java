package dev.substrate.local;

/**
 * A problem with the local run's set-up that the user can fix: the message says what is wrong and
 * how to fix it, and is printed without a stack trace.
 */
public final class LocalRunException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public LocalRunException(String message) {
        super(message);
    }

    public LocalRunException(String message, Throwable cause) {
        super(message, cause);
    }
}
