package dev.substrate.operators.pii;

/** The PII tokenization key is missing or unusable; the message says how to provide one. */
public class PiiKeyException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public PiiKeyException(String message) {
        super(message);
    }

    public PiiKeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
