package dev.substrate.schemas.registry;

/**
 * A schema-registry call failed. Carries the HTTP status and Confluent error code so callers can
 * tell "the registry is unavailable, try again" ({@link #isRetryable()}) from "the request or the
 * data is wrong" (everything else).
 */
public class SchemaRegistryException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Confluent error codes this project reacts to. */
    public static final int SUBJECT_NOT_FOUND = 40401;

    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int SUBJECT_SOFT_DELETED = 40404;
    public static final int SUBJECT_NOT_SOFT_DELETED = 40405;
    public static final int VERSION_SOFT_DELETED = 40406;
    public static final int VERSION_NOT_SOFT_DELETED = 40407;
    public static final int SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408;
    public static final int SUBJECT_MODE_NOT_CONFIGURED = 40409;
    public static final int INCOMPATIBLE_SCHEMA = 409;
    public static final int INVALID_SCHEMA = 42201;
    public static final int INVALID_VERSION = 42202;
    public static final int INVALID_COMPATIBILITY_LEVEL = 42203;
    public static final int INVALID_MODE = 42204;
    public static final int OPERATION_NOT_PERMITTED = 42205;
    public static final int REFERENCE_EXISTS = 42206;
    public static final int STORE_ERROR = 50001;

    private final int httpStatus;
    private final int errorCode;
    private final boolean retryable;

    /**
     * An error answered by the registry. Retryable when the status says the registry is unavailable
     * (5xx, 408 request timeout, 429 too many requests).
     *
     * @param errorCode Confluent {@code error_code}, or -1 if the response carried none
     */
    public SchemaRegistryException(String message, int httpStatus, int errorCode) {
        this(message, httpStatus, errorCode, isUnavailableStatus(httpStatus), null);
    }

    /** An error with an explicit retry decision and cause. */
    public SchemaRegistryException(
            String message, int httpStatus, int errorCode, boolean retryable, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.retryable = retryable;
    }

    /** The registry could not be reached (connection refused, DNS, TLS, timeout): retryable. */
    public static SchemaRegistryException unreachable(String message, Throwable cause) {
        return new SchemaRegistryException(message, -1, -1, true, cause);
    }

    /** HTTP status of the registry's answer; -1 when the registry could not be reached. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Confluent {@code error_code} (40401, 40402, 40403, 409, 42201, ...); -1 if none. */
    public int errorCode() {
        return errorCode;
    }

    /**
     * True for network errors, timeouts and 5xx answers: the registry is unavailable, the data is
     * not known to be bad, so the call may succeed later.
     */
    public boolean isRetryable() {
        return retryable;
    }

    /** True when the subject, version or schema id does not exist (40401/40402/40403 or 404). */
    public boolean isNotFound() {
        return errorCode == SUBJECT_NOT_FOUND
                || errorCode == VERSION_NOT_FOUND
                || errorCode == SCHEMA_NOT_FOUND
                || httpStatus == 404;
    }

    static boolean isUnavailableStatus(int httpStatus) {
        return httpStatus >= 500 || httpStatus == 408 || httpStatus == 429;
    }
}
