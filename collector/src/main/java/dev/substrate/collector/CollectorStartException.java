package dev.substrate.collector;

/**
 * The collector cannot start: a bad setting, a schema registry that cannot be reached or refuses
 * the schema, an input that does not answer. The message names the thing and the fix; {@code
 * substrate collect} prints it and exits with code 2.
 */
public class CollectorStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public CollectorStartException(String message) {
        super(message);
    }

    public CollectorStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
