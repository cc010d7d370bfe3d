package dev.substrate.operators.config;

/**
 * A configuration file that cannot be used (quality rules, scheduler quotas): its message names the
 * file, the line and the reason, so a job refuses to start with an error that points at the fix.
 */
public final class ConfigFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String reason;

    public ConfigFileException(String file, int line, String reason) {
        this(file, line, reason, null);
    }

    public ConfigFileException(String file, int line, String reason, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason, cause);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    /** The file's name as given to the parser (a classpath resource or a path). */
    public String file() {
        return file;
    }

    /** The 1-based line of the defect, or 0 when it concerns the whole file. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }
}
