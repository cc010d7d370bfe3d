package dev.substrate.operators.scheduling.config;

/**
 * A scheduler configuration (quota) file that cannot be used: the message names the file, the line
 * and the reason, so a job refuses to start with an error that points at the fix.
 */
public final class SchedulerConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String reason;

    public SchedulerConfigException(String file, int line, String reason) {
        this(file, line, reason, null);
    }

    public SchedulerConfigException(String file, int line, String reason, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason, cause);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    /** The file as given (a path or a classpath resource). */
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
