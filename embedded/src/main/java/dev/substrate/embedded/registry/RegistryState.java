package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.schemas.registry.CompatibilityLevel;
import dev.substrate.schemas.registry.SchemaReference;
import dev.substrate.schemas.registry.SchemaReferencesJson;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The embedded registry's state in memory: schemas by global id, subjects with their versions, and
 * compatibility levels and modes. It changes only by applying {@link RegistryLog} records, the same
 * way live and on replay, so a restart rebuilds exactly the same ids and versions. Records are
 * mechanical (each does one thing); {@link SchemaStore} decides which to write. Not thread-safe:
 * the store serializes access.
 *
 * <p>Record types: {@code SCHEMA} (id, text, references), {@code VERSION} (subject, version, id),
 * {@code DELETE_VERSION} (subject, version, permanent), {@code DELETE_SUBJECT} (soft delete of
 * every live version), {@code PURGE_SUBJECT} (every version removed), {@code CONFIG} and {@code
 * MODE} (subject or global; null removes), and {@code BATCH}, several records written as one line
 * so that an operation is applied whole or not at all.
 */
final class RegistryState {

    static final CompatibilityLevel DEFAULT_LEVEL = CompatibilityLevel.BACKWARD;
    static final RegistryMode DEFAULT_MODE = RegistryMode.READWRITE;

    /** Which versions a query sees: by default live ones, with {@code deleted=true} all. */
    enum Visibility {
        LIVE,
        ALL,
        DELETED_ONLY;

        boolean shows(Version version) {
            return switch (this) {
                case LIVE -> !version.deleted;
                case ALL -> true;
                case DELETED_ONLY -> version.deleted;
            };
        }

        /** From the {@code deleted} and {@code deletedOnly} query flags. */
        static Visibility of(boolean deleted, boolean deletedOnly) {
            return deletedOnly ? DELETED_ONLY : deleted ? ALL : LIVE;
        }
    }

    /** One version of a subject; soft-deleted versions keep their id. */
    static final class Version {
        final int number;
        final int id;
        boolean deleted;

        Version(int number, int id) {
            this.number = number;
            this.id = id;
        }
    }

    /** A subject: its versions by number, and its own level and mode (null: the global one). */
    static final class Subject {
        final TreeMap<Integer, Version> versions = new TreeMap<>();
        CompatibilityLevel level;
        RegistryMode mode;

        /** The versions {@code visibility} shows, oldest first. */
        List<Version> versions(Visibility visibility) {
            List<Version> shown = new ArrayList<>();
            for (Version version : versions.values()) {
                if (visibility.shows(version)) {
                    shown.add(version);
                }
            }
            return shown;
        }

        boolean has(Visibility visibility) {
            return !versions(visibility).isEmpty();
        }

        Version latestLive() {
            for (Version version : versions.descendingMap().values()) {
                if (!version.deleted) {
                    return version;
                }
            }
            return null;
        }

        /** Version {@code number} in any state; for -1 ("latest") the latest live version. */
        Version find(int number) {
            return number == SchemaReference.LATEST ? latestLive() : versions.get(number);
        }

        int nextVersion() {
            return versions.isEmpty() ? 1 : versions.lastKey() + 1;
        }
    }

    private final Map<Integer, StoredSchema> schemasById = new HashMap<>();
    private final Map<StoredSchema.Identity, Integer> idsByIdentity = new HashMap<>();
    private final TreeMap<String, Subject> subjects = new TreeMap<>();
    private CompatibilityLevel globalLevel = DEFAULT_LEVEL;
    private RegistryMode globalMode = DEFAULT_MODE;
    private int maxId;

    // ---------------------------------------------------------------- queries

    StoredSchema schema(int id) {
        return schemasById.get(id);
    }

    /** The id registered for exactly this text and these references; null when none. */
    Integer idOf(StoredSchema.Identity identity) {
        return idsByIdentity.get(identity);
    }

    int schemaCount() {
        return schemasById.size();
    }

    int maxId() {
        return maxId;
    }

    /** The subject, or null when nothing (no version, level or mode) is known about it. */
    Subject subject(String name) {
        return subjects.get(name);
    }

    /** Subject names with at least one version {@code visibility} shows, sorted. */
    List<String> subjectNames(Visibility visibility) {
        List<String> names = new ArrayList<>();
        subjects.forEach(
                (name, subject) -> {
                    if (subject.has(visibility)) {
                        names.add(name);
                    }
                });
        return names;
    }

    CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    RegistryMode globalMode() {
        return globalMode;
    }

    CompatibilityLevel effectiveLevel(String subjectName) {
        Subject subject = subjects.get(subjectName);
        return subject != null && subject.level != null ? subject.level : globalLevel;
    }

    /** The subject's mode, else the global one; the global one for a null subject. */
    RegistryMode effectiveMode(String subjectName) {
        Subject subject = subjectName == null ? null : subjects.get(subjectName);
        return subject != null && subject.mode != null ? subject.mode : globalMode;
    }

    SubjectVersion view(String subjectName, Version version) {
        return new SubjectVersion(
                subjectName, version.number, version.deleted, schemasById.get(version.id));
    }

    /** Every version, of any subject, that {@code visibility} shows and that uses {@code id}. */
    List<SubjectVersion> usages(int id, Visibility visibility) {
        List<SubjectVersion> usages = new ArrayList<>();
        subjects.forEach(
                (name, subject) -> {
                    for (Version version : subject.versions(visibility)) {
                        if (version.id == id) {
                            usages.add(view(name, version));
                        }
                    }
                });
        return usages;
    }

    /**
     * The versions whose schema references {@code subjectName} version {@code version}: with {@code
     * includeDeleted} soft-deleted ones too (a soft delete can be undone by registering again, so
     * they still need the referenced version). Sorted by schema id.
     */
    List<SubjectVersion> referrers(String subjectName, int version, boolean includeDeleted) {
        Visibility visibility = includeDeleted ? Visibility.ALL : Visibility.LIVE;
        List<SubjectVersion> referrers = new ArrayList<>();
        for (StoredSchema schema : schemasById.values()) {
            for (SchemaReference reference : schema.references()) {
                if (reference.subject().equals(subjectName) && reference.version() == version) {
                    referrers.addAll(usages(schema.id(), visibility));
                    break;
                }
            }
        }
        referrers.sort(Comparator.comparingInt((SubjectVersion v) -> v.schema().id()));
        return referrers;
    }

    /**
     * Resolves a reference for {@link AvroSchemaParser}: version -1 is the latest live version, any
     * other number a live or soft-deleted version (data written with it must stay readable).
     */
    AvroSchemaParser.ReferencedVersion findReference(String subjectName, int number) {
        Subject subject = subjects.get(subjectName);
        if (subject == null) {
            return null;
        }
        Version version = subject.find(number);
        return version == null
                ? null
                : new AvroSchemaParser.ReferencedVersion(
                        version.number, schemasById.get(version.id));
    }

    // ---------------------------------------------------------------- records

    static ObjectNode schemaRecord(int id, AvroSchemaParser.Parsed parsed) {
        ObjectNode record = RegistryLog.newRecord("SCHEMA").put("id", id);
        record.put("schema", parsed.canonical());
        SchemaReferencesJson.put(record, parsed.references());
        return record;
    }

    static ObjectNode versionRecord(String subject, int version, int id) {
        return RegistryLog.newRecord("VERSION")
                .put("subject", subject)
                .put("version", version)
                .put("id", id);
    }

    static ObjectNode deleteVersionRecord(String subject, int version, boolean permanent) {
        return RegistryLog.newRecord("DELETE_VERSION")
                .put("subject", subject)
                .put("version", version)
                .put("permanent", permanent);
    }

    static ObjectNode softDeleteSubjectRecord(String subject) {
        return RegistryLog.newRecord("DELETE_SUBJECT")
                .put("subject", subject)
                .put("permanent", false);
    }

    static ObjectNode purgeSubjectRecord(String subject) {
        return RegistryLog.newRecord("PURGE_SUBJECT").put("subject", subject);
    }

    /** Sets (or with a null level removes) a subject's level; the global one for a null subject. */
    static ObjectNode configRecord(String subject, CompatibilityLevel level) {
        ObjectNode record = RegistryLog.newRecord("CONFIG");
        record.put("subject", subject);
        record.put("level", level == null ? null : level.name());
        return record;
    }

    /** Sets (or with a null mode removes) a subject's mode; the global one for a null subject. */
    static ObjectNode modeRecord(String subject, RegistryMode mode) {
        ObjectNode record = RegistryLog.newRecord("MODE");
        record.put("subject", subject);
        record.put("mode", mode == null ? null : mode.name());
        return record;
    }

    static ObjectNode batchRecord(List<ObjectNode> records) {
        ObjectNode batch = RegistryLog.newRecord("BATCH");
        batch.putArray("records").addAll(records);
        return batch;
    }

    /** Applies one log record; used both live and on replay. */
    void apply(JsonNode record) {
        String type = record.path("type").asText();
        switch (type) {
            case "BATCH" -> record.get("records").forEach(this::apply);
            case "SCHEMA" -> applySchema(record);
            case "VERSION" -> {
                int number = record.get("version").asInt();
                subjects.computeIfAbsent(text(record, "subject"), s -> new Subject())
                        .versions
                        .put(number, new Version(number, record.get("id").asInt()));
            }
            case "DELETE_VERSION" -> {
                String name = text(record, "subject");
                Subject subject = subjects.get(name);
                Version version =
                        subject == null
                                ? null
                                : subject.versions.get(record.get("version").asInt());
                if (version != null) {
                    if (record.path("permanent").asBoolean(false)) {
                        subject.versions.remove(version.number);
                        forgetIfUnused(version.id);
                        dropIfEmpty(name);
                    } else {
                        version.deleted = true;
                    }
                }
            }
            case "DELETE_SUBJECT" -> applyDeleteSubject(record);
            case "PURGE_SUBJECT" -> {
                String name = text(record, "subject");
                Subject subject = subjects.get(name);
                if (subject != null) {
                    List<Version> removed = new ArrayList<>(subject.versions.values());
                    subject.versions.clear();
                    removed.forEach(version -> forgetIfUnused(version.id));
                    dropIfEmpty(name);
                }
            }
            case "CONFIG" -> {
                String level = text(record, "level");
                CompatibilityLevel parsed = level == null ? null : CompatibilityLevel.parse(level);
                String name = text(record, "subject");
                if (name == null) {
                    globalLevel = parsed == null ? DEFAULT_LEVEL : parsed;
                } else {
                    subjects.computeIfAbsent(name, s -> new Subject()).level = parsed;
                    dropIfEmpty(name);
                }
            }
            case "MODE" -> {
                String mode = text(record, "mode");
                RegistryMode parsed = mode == null ? null : RegistryMode.parse(mode);
                String name = text(record, "subject");
                if (name == null) {
                    globalMode = parsed == null ? DEFAULT_MODE : parsed;
                } else {
                    subjects.computeIfAbsent(name, s -> new Subject()).mode = parsed;
                    dropIfEmpty(name);
                }
            }
            default ->
                    throw new IllegalStateException(
                            "Unknown record type '" + type + "' in the registry log");
        }
    }

    private void applySchema(JsonNode record) {
        int id = record.get("id").asInt();
        String text = record.get("schema").asText();
        List<SchemaReference> references = SchemaReferencesJson.read(record.get("references"));
        // The stored text stays the canonical form even if this Avro version would print it
        // differently, so identical-schema detection keeps matching what was registered.
        AvroSchemaParser.Parsed parsed =
                AvroSchemaParser.parse(text, references, this::findReference);
        StoredSchema schema = new StoredSchema(id, text, parsed.references(), parsed.schema());
        schemasById.put(id, schema);
        idsByIdentity.putIfAbsent(schema.identity(), id);
        maxId = Math.max(maxId, id);
    }

    private void applyDeleteSubject(JsonNode record) {
        String name = text(record, "subject");
        Subject subject = subjects.get(name);
        if (subject == null) {
            return;
        }
        if (record.path("permanent").asBoolean(false)) {
            // Written only by registries before PURGE_SUBJECT existed. They kept the ids of
            // permanently deleted subjects readable, and data written with them may still be in
            // Kafka, so replaying their log keeps those ids too.
            subject.versions.clear();
            dropIfEmpty(name);
        } else {
            subject.versions.values().forEach(version -> version.deleted = true);
        }
    }

    /**
     * Removes a schema no version uses any more, as Confluent does: its id then answers 40403, and
     * registering the same schema again assigns a new id (ids are never reused).
     */
    private void forgetIfUnused(int id) {
        for (Subject subject : subjects.values()) {
            for (Version version : subject.versions.values()) {
                if (version.id == id) {
                    return;
                }
            }
        }
        StoredSchema removed = schemasById.remove(id);
        if (removed != null && Integer.valueOf(id).equals(idsByIdentity.get(removed.identity()))) {
            idsByIdentity.remove(removed.identity());
            // An import may have registered the same schema under a second id: that one now
            // stands for it.
            for (StoredSchema other : schemasById.values()) {
                if (other.identity().equals(removed.identity())) {
                    idsByIdentity.merge(removed.identity(), other.id(), Math::min);
                }
            }
        }
    }

    private void dropIfEmpty(String name) {
        Subject subject = subjects.get(name);
        if (subject != null
                && subject.versions.isEmpty()
                && subject.level == null
                && subject.mode == null) {
            subjects.remove(name);
        }
    }

    private static String text(JsonNode record, String field) {
        JsonNode node = record.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
