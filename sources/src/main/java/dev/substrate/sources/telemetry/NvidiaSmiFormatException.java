package dev.substrate.sources.telemetry;

/** An nvidia-smi CSV line or header that cannot be read; the message names the line and column. */
public class NvidiaSmiFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long lineNumber;

    public NvidiaSmiFormatException(long lineNumber, String message) {
        this(lineNumber, message, null);
    }

    public NvidiaSmiFormatException(long lineNumber, String message, Throwable cause) {
        super((lineNumber > 0 ? "line " + lineNumber + ": " : "") + message, cause);
        this.lineNumber = lineNumber;
    }

    /** The 1-based line of the input, the header being line 1; 0 when unknown. */
    public long lineNumber() {
        return lineNumber;
    }
}
