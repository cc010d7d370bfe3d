package dev.substrate.operators.policies;

/**
 * One change in the approved-model registry: a model version approved or revoked at an event time.
 * The registry is a compacted Kafka topic keyed by {@code <model>:<version>}; a record's value says
 * approved or revoked, a tombstone revokes, and its Kafka timestamp is when the change holds.
 */
public class ModelApproval {

    public String model;
    public String version;
    public boolean approved;
    public long changedAt;

    public ModelApproval() {}

    public ModelApproval(String model, String version, boolean approved, long changedAt) {
        this.model = model;
        this.version = version;
        this.approved = approved;
        this.changedAt = changedAt;
    }

    /** The registry key of a model version. */
    public static String key(String model, String version) {
        return model + ":" + version;
    }

    @Override
    public String toString() {
        return key(model, version) + (approved ? " approved" : " revoked") + "@" + changedAt;
    }
}
