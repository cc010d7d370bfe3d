package dev.substrate.sinks.lake;

import dev.substrate.schemas.registry.RegisteredSchema;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * The field names of every version registered under one subject, oldest version first: the names a
 * raw table's columns follow, whichever version is the latest.
 *
 * <p>A registered version never changes, so each is fetched once: a refresh asks for the version
 * list and only for the versions it has not seen. A version later deleted from the registry keeps
 * its fields here, since a column, once there, is never dropped. Not thread-safe.
 */
final class RegisteredFieldUnion {

    private final String subject;
    private final Set<Integer> seenVersions = new HashSet<>();
    private final Set<String> fields = new LinkedHashSet<>();
    private Set<String> snapshot = Set.of();

    RegisteredFieldUnion(String subject) {
        this.subject = Objects.requireNonNull(subject, "subject");
    }

    /**
     * Reads the versions registered since the last call and returns the fields of every version
     * seen so far: an unmodifiable set, the same instance as last time when nothing was added.
     * Empty while the subject has no version.
     *
     * @throws SchemaRegistryException when the registry cannot be asked (unreachable, refused)
     */
    Set<String> refresh(SchemaRegistryClient client) throws SchemaRegistryException {
        List<Integer> versions;
        try {
            versions = client.getVersions(subject);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return snapshot;
            }
            throw e;
        }
        boolean added = false;
        for (int version : versions) {
            if (seenVersions.contains(version)) {
                continue;
            }
            RegisteredSchema registered;
            try {
                registered = client.getVersion(subject, version);
            } catch (SchemaRegistryException e) {
                if (e.isNotFound()) {
                    continue; // deleted between the list and this call
                }
                throw e;
            }
            seenVersions.add(version);
            Schema schema = registered.schema();
            if (schema.getType() != Schema.Type.RECORD) {
                continue; // no fields: nothing a table could hold
            }
            for (Schema.Field field : schema.getFields()) {
                added |= fields.add(field.name());
            }
        }
        if (added) {
            snapshot = Collections.unmodifiableSet(new LinkedHashSet<>(fields));
        }
        return snapshot;
    }

    /** Whether any version of the subject has been seen. */
    boolean anyRegistered() {
        return !seenVersions.isEmpty();
    }
}
