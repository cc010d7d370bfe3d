package dev.substrate.operators.policies;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The kinds of incident a policy can describe: each has the key it correlates on, the thresholds it
 * needs (name and type) and the events it reads. {@link PolicyPatterns} turns a policy of a
 * template into a CEP pattern; the policy file picks a template and sets its thresholds.
 */
public enum PolicyTemplate {
    /**
     * {@code attempts} denied logins or model invocations, then a success, within {@code within}.
     */
    CREDENTIAL_STUFFING(PolicyKey.PRINCIPAL, "attempts", Type.COUNT, "within", Type.DURATION),
    /** A read of PII or restricted data, then an export outside {@code internal_destinations}. */
    DATA_EXFILTRATION(
            PolicyKey.PRINCIPAL, "within", Type.DURATION, "internal_destinations", Type.LIST),
    /** A read or export of PII or restricted data without encryption in transit. */
    UNENCRYPTED_TRANSFER(PolicyKey.PRINCIPAL),
    /** An invocation of a model version the model registry did not approve at that time. */
    UNAPPROVED_MODEL(PolicyKey.PRINCIPAL),
    /** A role change, then one of {@code admin_actions}, within {@code within}. */
    PRIVILEGE_ESCALATION(PolicyKey.PRINCIPAL, "within", Type.DURATION, "admin_actions", Type.LIST),
    /** A tenant queued or rejected over quota {@code rejections} times within {@code within}. */
    QUOTA_ABUSE(PolicyKey.TENANT, "rejections", Type.COUNT, "within", Type.DURATION),
    /**
     * {@code invocations} model invocations within {@code within}, each above {@code multiple}
     * times the principal's own token baseline.
     */
    TOKEN_SPIKE(
            PolicyKey.PRINCIPAL,
            "multiple",
            Type.NUMBER,
            "invocations",
            Type.COUNT,
            "within",
            Type.DURATION),
    /** {@code readings} consecutive readings at or above {@code temperature}, then an XID. */
    THERMAL_RUNAWAY(
            PolicyKey.GPU,
            "temperature",
            Type.NUMBER,
            "readings",
            Type.COUNT,
            "within",
            Type.DURATION),
    /** A GPU of a node reports one of {@code xids}, then work is placed on that node. */
    LOST_GPU_PLACEMENT(PolicyKey.NODE, "xids", Type.LIST, "within", Type.DURATION),
    /** A model invoked from a region its {@code allowed_regions} entry does not list. */
    DATA_RESIDENCY(PolicyKey.PRINCIPAL, "allowed_regions", Type.MAP),
    /**
     * {@code exports} exports by a service account (authenticated by one of {@code
     * service_auth_methods}) outside {@code business_hours} (UTC, "8-18"), within {@code within}.
     */
    AFTER_HOURS_BULK_EXPORT(
            PolicyKey.PRINCIPAL,
            "exports",
            Type.COUNT,
            "within",
            Type.DURATION,
            "business_hours",
            Type.HOURS,
            "service_auth_methods",
            Type.LIST);

    /** How a threshold is written in the policy file. */
    public enum Type {
        /** A positive whole number. */
        COUNT,
        /** A duration such as 30s, 10m, 2h. */
        DURATION,
        /** A positive number. */
        NUMBER,
        /** A list of words. */
        LIST,
        /** A mapping from a word to a list of words. */
        MAP,
        /** UTC hours "from-to", for example "8-18". */
        HOURS
    }

    private final PolicyKey key;
    private final Map<String, Type> thresholds = new LinkedHashMap<>();

    PolicyTemplate(PolicyKey key, Object... thresholds) {
        this.key = key;
        for (int i = 0; i < thresholds.length; i += 2) {
            this.thresholds.put((String) thresholds[i], (Type) thresholds[i + 1]);
        }
    }

    /** The key every policy of this template correlates on. */
    public PolicyKey key() {
        return key;
    }

    /** The thresholds a policy of this template must set, by name, in file order. */
    public Map<String, Type> thresholds() {
        return thresholds;
    }

    /** The name in the policy file. */
    public String fileName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
