package dev.substrate.operators.policies;

/**
 * A policy file that cannot be used: the message names the file, the policy (when one is at fault)
 * and the reason, so the job refuses to start with an error that points at the fix.
 */
public final class PolicyFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PolicyFileException(String file, String policyId, String reason) {
        this(file, policyId, reason, null);
    }

    public PolicyFileException(String file, String policyId, String reason, Throwable cause) {
        super(
                file + (policyId == null ? "" : ": policy '" + policyId + "'") + ": " + reason,
                cause);
    }
}
