package dev.substrate.schemas.registry.embedded;

/** An error answer of the embedded registry: HTTP status, Confluent error code and message. */
final class RegistryError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final int errorCode;

    RegistryError(int httpStatus, int errorCode, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    int httpStatus() {
        return httpStatus;
    }

    int errorCode() {
        return errorCode;
    }

    static RegistryError subjectNotFound(String subject) {
        return new RegistryError(404, 40401, "Subject '" + subject + "' not found.");
    }

    static RegistryError versionNotFound(String subject, String version) {
        return new RegistryError(
                404, 40402, "Version " + version + " not found for subject '" + subject + "'.");
    }

    static RegistryError schemaNotFound(String detail) {
        return new RegistryError(404, 40403, "Schema not found: " + detail);
    }

    static RegistryError subjectLevelNotConfigured(String subject) {
        return new RegistryError(
                404,
                40408,
                "Subject '"
                        + subject
                        + "' does not have subject-level compatibility configured;"
                        + " pass defaultToGlobal=true for the effective level");
    }

    static RegistryError invalidSchema(String detail) {
        return new RegistryError(422, 42201, "Invalid schema: " + detail);
    }

    static RegistryError invalidVersion(String version) {
        return new RegistryError(
                422,
                42202,
                "The specified version '"
                        + version
                        + "' is not a valid version id. Allowed values are between [1, "
                        + Integer.MAX_VALUE
                        + "] and the string \"latest\"");
    }

    static RegistryError invalidCompatibilityLevel(String level) {
        return new RegistryError(
                422,
                42203,
                "Invalid compatibility level '"
                        + level
                        + "'. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD,"
                        + " FORWARD_TRANSITIVE, FULL and FULL_TRANSITIVE");
    }

    static RegistryError storeError(String detail, Throwable cause) {
        RegistryError error =
                new RegistryError(500, 50001, "Error in the backend data store: " + detail);
        error.initCause(cause);
        return error;
    }
}
