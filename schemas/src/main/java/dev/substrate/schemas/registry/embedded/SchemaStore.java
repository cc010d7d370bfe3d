package dev.substrate.schemas.registry.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.schemas.registry.CompatibilityLevel;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;

/**
 * The embedded registry's state: schemas by global id, subjects with their versions, and
 * compatibility configuration. Every change is written to the {@link RegistryLog} before it is
 * applied, so a restart rebuilds exactly the same ids and versions. All methods are synchronized:
 * registrations are rare and must be serialized for ids and compatibility checks to be consistent.
 */
final class SchemaStore implements Closeable {

    static final CompatibilityLevel DEFAULT_LEVEL = CompatibilityLevel.BACKWARD;

    /**
     * A schema under its global id; {@code canonical} is what identical-schema detection compares.
     */
    record StoredSchema(int id, String canonical, Schema schema) {}

    /** One version of a subject, as served by the versions endpoints. */
    record VersionView(String subject, int version, StoredSchema schema) {}

    private static final class Version {
        final int number;
        final int id;
        boolean deleted;

        Version(int number, int id) {
            this.number = number;
            this.id = id;
        }
    }

    private static final class Subject {
        final TreeMap<Integer, Version> versions = new TreeMap<>();
        CompatibilityLevel level; // null: use the global level

        List<Version> live() {
            List<Version> live = new ArrayList<>();
            for (Version version : versions.values()) {
                if (!version.deleted) {
                    live.add(version);
                }
            }
            return live;
        }
    }

    private final Map<Integer, StoredSchema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final TreeMap<String, Subject> subjects = new TreeMap<>();
    private CompatibilityLevel globalLevel = DEFAULT_LEVEL;
    private int maxId;
    private final RegistryLog log;

    private SchemaStore(Path stateDir) throws IOException {
        this.log = RegistryLog.open(stateDir, this::apply);
    }

    static SchemaStore open(Path stateDir) throws IOException {
        return new SchemaStore(stateDir);
    }

    synchronized int schemaCount() {
        return schemasById.size();
    }

    synchronized List<String> subjects(boolean includeDeleted) {
        List<String> names = new ArrayList<>();
        subjects.forEach(
                (name, subject) -> {
                    if (includeDeleted ? !subject.versions.isEmpty() : !subject.live().isEmpty()) {
                        names.add(name);
                    }
                });
        return names;
    }

    synchronized List<Integer> versions(String subjectName) {
        List<Integer> numbers = new ArrayList<>();
        for (Version version : liveSubject(subjectName).live()) {
            numbers.add(version.number);
        }
        return numbers;
    }

    synchronized VersionView version(String subjectName, String versionSpec) {
        Subject subject = liveSubject(subjectName);
        int number = parseVersion(versionSpec);
        List<Version> live = subject.live();
        Version version =
                number == -1
                        ? live.get(live.size() - 1)
                        : subject.versions.get(number) != null
                                        && !subject.versions.get(number).deleted
                                ? subject.versions.get(number)
                                : null;
        if (version == null) {
            throw RegistryError.versionNotFound(subjectName, versionSpec);
        }
        return new VersionView(subjectName, version.number, schemasById.get(version.id));
    }

    synchronized StoredSchema schemaById(int id) {
        StoredSchema schema = schemasById.get(id);
        if (schema == null) {
            throw RegistryError.schemaNotFound("no schema with id " + id);
        }
        return schema;
    }

    /** The live version of {@code subjectName} holding exactly {@code schema}. */
    synchronized VersionView lookup(String subjectName, Schema schema) {
        Subject subject = liveSubject(subjectName);
        Version version = findLive(subject, schema.toString());
        if (version == null) {
            throw RegistryError.schemaNotFound(
                    "the schema is not registered under subject '" + subjectName + "'");
        }
        return new VersionView(subjectName, version.number, schemasById.get(version.id));
    }

    /**
     * Registers {@code schema} as the next version of {@code subjectName} after checking it against
     * the subject's compatibility level; an identical live schema returns its id.
     */
    synchronized int register(String subjectName, Schema schema) {
        String canonical = schema.toString();
        Subject subject = subjects.get(subjectName);
        if (subject != null) {
            Version existing = findLive(subject, canonical);
            if (existing != null) {
                return existing.id;
            }
            CompatibilityLevel level = effectiveLevel(subject);
            List<String> messages =
                    AvroCompatibilityChecker.check(level, schema, existingSchemas(subject));
            if (!messages.isEmpty()) {
                throw new RegistryError(
                        409,
                        409,
                        "Schema being registered is incompatible with an earlier schema for"
                                + " subject \""
                                + subjectName
                                + "\" (compatibility "
                                + level
                                + "), details: "
                                + messages);
            }
        }
        Integer id = idsByCanonical.get(canonical);
        if (id == null) {
            id = maxId + 1;
            ObjectNode record = RegistryLog.newRecord("SCHEMA").put("id", id);
            record.put("schema", canonical);
            persistAndApply(record);
        }
        int number =
                subject == null || subject.versions.isEmpty() ? 1 : subject.versions.lastKey() + 1;
        ObjectNode record = RegistryLog.newRecord("VERSION").put("subject", subjectName);
        record.put("version", number).put("id", id);
        persistAndApply(record);
        return id;
    }

    /**
     * Whether {@code schema} could be registered now (version "latest") or is compatible with one
     * version.
     */
    synchronized List<String> testCompatibility(
            String subjectName, String versionSpec, Schema schema) {
        int number = parseVersion(versionSpec);
        Subject subject = subjects.get(subjectName);
        List<AvroCompatibilityChecker.Existing> existing =
                subject == null ? List.of() : existingSchemas(subject);
        if (number == -1) {
            // Like registration: nothing to be incompatible with in an empty subject.
            CompatibilityLevel level = subject == null ? globalLevel : effectiveLevel(subject);
            return AvroCompatibilityChecker.check(level, schema, existing);
        }
        Subject live = liveSubject(subjectName);
        Version version = live.versions.get(number);
        if (version == null || version.deleted) {
            throw RegistryError.versionNotFound(subjectName, versionSpec);
        }
        CompatibilityLevel level = effectiveLevel(live);
        return AvroCompatibilityChecker.check(
                level,
                schema,
                List.of(
                        new AvroCompatibilityChecker.Existing(
                                number, schemasById.get(version.id).schema())));
    }

    /** Soft-deletes (or with {@code permanent}, removes) every version of the subject. */
    synchronized List<Integer> deleteSubject(String subjectName, boolean permanent) {
        Subject subject = subjects.get(subjectName);
        if (subject == null || subject.versions.isEmpty()) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        List<Integer> affected = new ArrayList<>();
        for (Version version : permanent ? subject.versions.values() : subject.live()) {
            affected.add(version.number);
        }
        if (affected.isEmpty()) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        persistAndApply(
                RegistryLog.newRecord("DELETE_SUBJECT")
                        .put("subject", subjectName)
                        .put("permanent", permanent));
        return affected;
    }

    synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    /** The subject's own level; falls back to the global one only when {@code defaultToGlobal}. */
    synchronized CompatibilityLevel subjectLevel(String subjectName, boolean defaultToGlobal) {
        Subject subject = subjects.get(subjectName);
        CompatibilityLevel level = subject == null ? null : subject.level;
        if (level != null) {
            return level;
        }
        if (defaultToGlobal) {
            return globalLevel;
        }
        throw RegistryError.subjectLevelNotConfigured(subjectName);
    }

    /** Sets the level of {@code subjectName}, or the global level when it is null. */
    synchronized void setLevel(String subjectName, CompatibilityLevel level) {
        ObjectNode record = RegistryLog.newRecord("CONFIG");
        record.put("subject", subjectName);
        record.put("level", level == null ? null : level.name());
        persistAndApply(record);
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }

    private void persistAndApply(ObjectNode record) {
        try {
            log.append(record);
        } catch (IOException e) {
            throw RegistryError.storeError("cannot write " + log.file() + ": " + e, e);
        }
        apply(record);
    }

    /** Applies one log record to memory; used both live and on replay. */
    private void apply(JsonNode record) {
        String type = record.path("type").asText();
        switch (type) {
            case "SCHEMA" -> {
                int id = record.get("id").asInt();
                String text = record.get("schema").asText();
                Schema schema = new Schema.Parser().parse(text);
                schemasById.put(id, new StoredSchema(id, text, schema));
                idsByCanonical.putIfAbsent(text, id);
                maxId = Math.max(maxId, id);
            }
            case "VERSION" -> {
                Subject subject =
                        subjects.computeIfAbsent(
                                record.get("subject").asText(), s -> new Subject());
                int number = record.get("version").asInt();
                subject.versions.put(number, new Version(number, record.get("id").asInt()));
            }
            case "DELETE_SUBJECT" -> {
                String name = record.get("subject").asText();
                Subject subject = subjects.get(name);
                if (subject != null) {
                    if (record.path("permanent").asBoolean(false)) {
                        subject.versions.clear();
                        if (subject.level == null) {
                            subjects.remove(name);
                        }
                    } else {
                        subject.versions.values().forEach(v -> v.deleted = true);
                    }
                }
            }
            case "CONFIG" -> {
                JsonNode level = record.get("level");
                CompatibilityLevel parsed =
                        level == null || level.isNull()
                                ? null
                                : CompatibilityLevel.parse(level.asText());
                JsonNode subjectNode = record.get("subject");
                if (subjectNode == null || subjectNode.isNull()) {
                    globalLevel = parsed == null ? DEFAULT_LEVEL : parsed;
                } else {
                    subjects.computeIfAbsent(subjectNode.asText(), s -> new Subject()).level =
                            parsed;
                }
            }
            default ->
                    throw new IllegalStateException(
                            "Unknown record type '" + type + "' in the registry log");
        }
    }

    private Subject liveSubject(String subjectName) {
        Subject subject = subjects.get(subjectName);
        if (subject == null || subject.live().isEmpty()) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        return subject;
    }

    private Version findLive(Subject subject, String canonical) {
        for (Version version : subject.live()) {
            if (schemasById.get(version.id).canonical().equals(canonical)) {
                return version;
            }
        }
        return null;
    }

    private CompatibilityLevel effectiveLevel(Subject subject) {
        return subject.level != null ? subject.level : globalLevel;
    }

    private List<AvroCompatibilityChecker.Existing> existingSchemas(Subject subject) {
        List<AvroCompatibilityChecker.Existing> existing = new ArrayList<>();
        for (Version version : subject.live()) {
            existing.add(
                    new AvroCompatibilityChecker.Existing(
                            version.number, schemasById.get(version.id).schema()));
        }
        return existing;
    }

    /** -1 for "latest"; otherwise a positive version number. */
    static int parseVersion(String spec) {
        if ("latest".equalsIgnoreCase(spec)) {
            return -1;
        }
        try {
            int number = Integer.parseInt(spec);
            if (number == -1 || number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // falls through to the Confluent error
        }
        throw RegistryError.invalidVersion(spec);
    }
}
