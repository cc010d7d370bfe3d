package dev.substrate.embedded.registry;

import java.util.List;

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

    static RegistryError subjectSoftDeleted(String subject) {
        return new RegistryError(
                404,
                40404,
                "Subject '"
                        + subject
                        + "' was soft deleted. Set permanent=true to delete it permanently");
    }

    static RegistryError subjectNotSoftDeleted(String subject) {
        return new RegistryError(
                404,
                40405,
                "Subject '"
                        + subject
                        + "' was not deleted first before being permanently deleted; delete it"
                        + " without permanent=true first");
    }

    static RegistryError versionSoftDeleted(String subject, int version) {
        return new RegistryError(
                404,
                40406,
                "Subject '"
                        + subject
                        + "' version "
                        + version
                        + " was soft deleted. Set permanent=true to delete it permanently");
    }

    static RegistryError versionNotSoftDeleted(String subject, int version) {
        return new RegistryError(
                404,
                40407,
                "Subject '"
                        + subject
                        + "' version "
                        + version
                        + " was not deleted first before being permanently deleted; delete it"
                        + " without permanent=true first");
    }

    static RegistryError subjectModeNotConfigured(String subject) {
        return new RegistryError(
                404,
                40409,
                "Subject '"
                        + subject
                        + "' does not have subject-level mode configured;"
                        + " pass defaultToGlobal=true for the effective mode");
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

    static RegistryError invalidMode(String mode) {
        return new RegistryError(
                422,
                42204,
                "Invalid mode '" + mode + "'. Valid values are READWRITE, READONLY and IMPORT");
    }

    /** 42205: the subject's (or registry's) mode, or its state, does not allow the operation. */
    static RegistryError notPermitted(String detail) {
        return new RegistryError(422, 42205, detail);
    }

    /** 42206: a schema still references the version that was to be deleted. */
    static RegistryError referenceExists(String subject, int version, List<Integer> referrers) {
        return new RegistryError(
                422,
                42206,
                "One or more references exist to the schema {subject="
                        + subject
                        + ",version="
                        + version
                        + "}: schema ids "
                        + referrers
                        + " use it; delete those first");
    }

    /** 413: a request body over the limit, refused before it is read into memory. */
    static RegistryError requestTooLarge(long limit, String propertyName) {
        return new RegistryError(
                413,
                413,
                "The request body is larger than this registry's limit of "
                        + limit
                        + " bytes. Split the schema into referenced schemas, or raise the limit"
                        + " with -D"
                        + propertyName
                        + "=<bytes> (SUBSTRATE_JAVA_OPTS for ./substrate) or"
                        + " EmbeddedSchemaRegistry.builder().maxRequestBytes(<bytes>)");
    }

    static RegistryError storeError(String detail, Throwable cause) {
        RegistryError error =
                new RegistryError(500, 50001, "Error in the backend data store: " + detail);
        error.initCause(cause);
        return error;
    }
}
