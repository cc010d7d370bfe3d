package dev.substrate.schemas.wire;

/** Thrown when bytes are not a Confluent wire-format frame; the message says what was found. */
public class MalformedFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedFrameException(String message) {
        super(message);
    }
}
