package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.embedded.registry.RegistryState.Subject;
import dev.substrate.embedded.registry.RegistryState.Version;
import dev.substrate.embedded.registry.RegistryState.Visibility;
import dev.substrate.schemas.registry.CompatibilityLevel;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded registry's operations, with Confluent's rules and error codes: registration (and
 * import with given ids), lookups, soft and permanent deletion, compatibility levels and modes.
 * Each operation checks everything first, then writes its change to the {@link RegistryLog} as one
 * line and applies it to the {@link RegistryState}, so a crash leaves it done or not done. All
 * methods are synchronized: writes are rare and must be serialized for ids, versions and
 * compatibility checks to be consistent.
 */
final class SchemaStore implements Closeable {

    private final RegistryState state = new RegistryState();
    private final RegistryLog log;

    private SchemaStore(Path stateDir) throws IOException {
        this.log = RegistryLog.open(stateDir, state::apply);
    }

    static SchemaStore open(Path stateDir) throws IOException {
        return new SchemaStore(stateDir);
    }

    synchronized int schemaCount() {
        return state.schemaCount();
    }

    synchronized List<String> subjects(Visibility visibility) {
        return state.subjectNames(visibility);
    }

    /**
     * The version numbers {@code visibility} shows. 40401 only when the subject has no version at
     * all that the query may see (a {@code deletedOnly} query on a live subject answers []).
     */
    synchronized List<Integer> versions(String subjectName, Visibility visibility) {
        Subject subject = state.subject(subjectName);
        Visibility existence = visibility == Visibility.LIVE ? Visibility.LIVE : Visibility.ALL;
        if (subject == null || !subject.has(existence)) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        List<Integer> numbers = new ArrayList<>();
        for (Version version : subject.versions(visibility)) {
            numbers.add(version.number);
        }
        return numbers;
    }

    /** One version; "latest" is the latest live one, soft-deleted ones only when asked for. */
    synchronized SubjectVersion version(
            String subjectName, String versionSpec, boolean includeDeleted) {
        int number = parseVersion(versionSpec);
        Subject subject = state.subject(subjectName);
        Version version = subject == null ? null : subject.find(number);
        if (version != null && version.deleted && !includeDeleted) {
            version = null;
        }
        if (version == null) {
            Visibility existence = includeDeleted ? Visibility.ALL : Visibility.LIVE;
            if (subject == null || !subject.has(existence)) {
                throw RegistryError.subjectNotFound(subjectName);
            }
            throw RegistryError.versionNotFound(subjectName, versionSpec);
        }
        return state.view(subjectName, version);
    }

    synchronized StoredSchema schemaById(int id) {
        StoredSchema schema = state.schema(id);
        if (schema == null) {
            throw RegistryError.schemaNotFound("no schema with id " + id);
        }
        return schema;
    }

    /** The subject versions using schema {@code id}; 40403 when there is no such id. */
    synchronized List<SubjectVersion> usages(int id, boolean includeDeleted) {
        schemaById(id);
        return state.usages(id, includeDeleted ? Visibility.ALL : Visibility.LIVE);
    }

    /**
     * The version of {@code subjectName} holding the requested schema, newest first: the same text
     * and references, or (for a request without references) the same schema once the stored
     * version's references are resolved, as when a producer sends its whole schema.
     */
    synchronized SubjectVersion lookup(
            String subjectName, SchemaRequest request, boolean includeDeleted) {
        AvroSchemaParser.Parsed parsed = parse(request);
        Subject subject = state.subject(subjectName);
        Visibility visibility = includeDeleted ? Visibility.ALL : Visibility.LIVE;
        if (subject == null || !subject.has(visibility)) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        Version match = findMatch(subject.versions(visibility), parsed, -1);
        if (match == null) {
            throw RegistryError.schemaNotFound(
                    "the schema is not registered under subject '" + subjectName + "'");
        }
        return state.view(subjectName, match);
    }

    /**
     * Registers the requested schema under {@code subjectName} and returns its id: an identical
     * live version returns its id; a new version is checked against the subject's compatibility
     * level. In IMPORT mode the request names its id (and may name its version), and no
     * compatibility check runs.
     */
    synchronized int register(String subjectName, SchemaRequest request) {
        RegistryMode mode = state.effectiveMode(subjectName);
        boolean importing = request.id() >= 0;
        if (mode == RegistryMode.READONLY) {
            throw readOnly(subjectName);
        }
        if (importing && mode != RegistryMode.IMPORT) {
            throw RegistryError.notPermitted(
                    "Subject '"
                            + subjectName
                            + "' is not in import mode: registering with an 'id' needs IMPORT"
                            + " mode (PUT /mode/{subject} or PUT /mode with"
                            + " {\"mode\":\"IMPORT\"})");
        }
        if (!importing && mode != RegistryMode.READWRITE) {
            throw RegistryError.notPermitted(
                    "Subject '"
                            + subjectName
                            + "' is not in read-write mode (it is in "
                            + mode
                            + " mode): registrations must give the schema's 'id'");
        }
        AvroSchemaParser.Parsed parsed = parse(request);
        StoredSchema.Identity identity =
                new StoredSchema.Identity(parsed.canonical(), parsed.references());
        Subject subject = state.subject(subjectName);
        List<Version> live = subject == null ? List.of() : subject.versions(Visibility.LIVE);

        int schemaId = request.id();
        Integer knownId = state.idOf(identity);
        if (knownId != null && (schemaId < 0 || schemaId == knownId)) {
            schemaId = knownId;
        }
        if (request.version() == 0) {
            Version existing = findMatch(live, parsed, schemaId);
            if (existing != null) {
                return existing.id;
            }
        }
        if (mode != RegistryMode.IMPORT) {
            checkCompatible(subjectName, parsed, live);
        }

        int number = subject == null ? 1 : subject.nextVersion();
        if (request.version() > 0 && request.version() != number) {
            if (mode != RegistryMode.IMPORT) {
                throw RegistryError.invalidSchema(
                        "version "
                                + request.version()
                                + " is not one more than the subject's previous version; leave"
                                + " 'version' out or give "
                                + number);
            }
            number = request.version();
            Version taken = subject == null ? null : subject.versions.get(number);
            if (taken != null) {
                if (taken.id == schemaId) {
                    return taken.id; // the same import, retried
                }
                throw RegistryError.notPermitted(
                        "Version "
                                + number
                                + " of subject '"
                                + subjectName
                                + "' already exists with id "
                                + taken.id
                                + "; importing id "
                                + schemaId
                                + " over it is not permitted");
            }
        }

        List<ObjectNode> records = new ArrayList<>();
        if (schemaId >= 0) {
            StoredSchema holder = state.schema(schemaId);
            if (holder == null) {
                records.add(RegistryState.schemaRecord(schemaId, parsed));
            } else if (!holder.identity().equals(identity)) {
                throw RegistryError.notPermitted(
                        "Overwrite new schema with id "
                                + schemaId
                                + " is not permitted: that id holds a different schema");
            }
        } else {
            schemaId = state.maxId() + 1;
            records.add(RegistryState.schemaRecord(schemaId, parsed));
        }
        records.add(RegistryState.versionRecord(subjectName, number, schemaId));
        if (subject != null) {
            // As in Confluent: registering a soft-deleted schema again removes its older
            // soft-deleted versions for good, unless another schema still references them.
            for (Version old : subject.versions(Visibility.DELETED_ONLY)) {
                if (old.id == schemaId
                        && old.number < number
                        && state.referrers(subjectName, old.number, true).isEmpty()) {
                    records.add(RegistryState.deleteVersionRecord(subjectName, old.number, true));
                }
            }
        }
        persistAndApply(records);
        return schemaId;
    }

    /**
     * Whether the requested schema could be registered now (version "latest") or is compatible with
     * one version, as messages (empty when compatible).
     */
    synchronized List<String> testCompatibility(
            String subjectName, String versionSpec, SchemaRequest request) {
        int number = parseVersion(versionSpec);
        AvroSchemaParser.Parsed parsed = parse(request);
        Subject subject = state.subject(subjectName);
        List<AvroCompatibilityChecker.Existing> existing = new ArrayList<>();
        if (number == -1) {
            // Like registration: nothing to be incompatible with in an empty subject.
            if (subject != null) {
                subject.versions(Visibility.LIVE).forEach(v -> existing.add(existing(v)));
            }
        } else {
            existing.add(existing(liveVersion(subjectName, subject, number, versionSpec)));
        }
        return AvroCompatibilityChecker.check(
                state.effectiveLevel(subjectName), parsed.schema(), existing);
    }

    /**
     * Soft-deletes every live version of the subject, or with {@code permanent} removes every
     * (already soft-deleted) version, its level and its mode. Returns the version numbers.
     */
    synchronized List<Integer> deleteSubject(String subjectName, boolean permanent) {
        Subject subject = state.subject(subjectName);
        if (subject == null || subject.versions.isEmpty()) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        if (!permanent && !subject.has(Visibility.LIVE)) {
            throw RegistryError.subjectSoftDeleted(subjectName);
        }
        requireWritable(subjectName);
        List<Integer> numbers = new ArrayList<>();
        for (Version version : subject.versions(permanent ? Visibility.ALL : Visibility.LIVE)) {
            List<SubjectVersion> referrers = new ArrayList<>();
            for (SubjectVersion referrer :
                    state.referrers(subjectName, version.number, permanent)) {
                if (!referrer.subject().equals(subjectName)) {
                    referrers.add(referrer);
                }
            }
            if (!referrers.isEmpty()) {
                throw referenceExists(subjectName, version.number, referrers);
            }
            if (permanent && !version.deleted) {
                throw RegistryError.subjectNotSoftDeleted(subjectName);
            }
            numbers.add(version.number);
        }
        List<ObjectNode> records = new ArrayList<>();
        if (permanent) {
            records.add(RegistryState.purgeSubjectRecord(subjectName));
            forgetSubjectSettings(subjectName, subject, records);
        } else {
            records.add(RegistryState.softDeleteSubjectRecord(subjectName));
        }
        persistAndApply(records);
        return numbers;
    }

    /**
     * Soft-deletes one version ("latest" is the latest live one), or with {@code permanent} removes
     * an already soft-deleted version. Returns its number.
     */
    synchronized int deleteVersion(String subjectName, String versionSpec, boolean permanent) {
        int number = parseVersion(versionSpec);
        Subject subject = state.subject(subjectName);
        Version version = subject == null ? null : subject.find(number);
        if (version != null && version.deleted && !permanent) {
            throw RegistryError.versionSoftDeleted(subjectName, version.number);
        }
        if (version == null) {
            if (subject == null || subject.versions.isEmpty()) {
                throw RegistryError.subjectNotFound(subjectName);
            }
            throw RegistryError.versionNotFound(subjectName, versionSpec);
        }
        requireWritable(subjectName);
        List<SubjectVersion> referrers = state.referrers(subjectName, version.number, permanent);
        if (!referrers.isEmpty()) {
            throw referenceExists(subjectName, version.number, referrers);
        }
        if (permanent && !version.deleted) {
            throw RegistryError.versionNotSoftDeleted(subjectName, version.number);
        }
        List<ObjectNode> records = new ArrayList<>();
        records.add(RegistryState.deleteVersionRecord(subjectName, version.number, permanent));
        if (permanent && subject.versions.size() == 1) {
            forgetSubjectSettings(subjectName, subject, records);
        }
        persistAndApply(records);
        return version.number;
    }

    /** Ids of the schemas that reference the version, sorted (Confluent's referencedby). */
    synchronized List<Integer> referencedBy(
            String subjectName, String versionSpec, boolean includeDeleted) {
        SubjectVersion version = version(subjectName, versionSpec, true);
        List<Integer> ids = new ArrayList<>();
        for (SubjectVersion referrer :
                state.referrers(subjectName, version.version(), includeDeleted)) {
            if (!ids.contains(referrer.schema().id())) {
                ids.add(referrer.schema().id());
            }
        }
        return ids;
    }

    synchronized CompatibilityLevel globalLevel() {
        return state.globalLevel();
    }

    /** The subject's own level; falls back to the global one only when {@code defaultToGlobal}. */
    synchronized CompatibilityLevel subjectLevel(String subjectName, boolean defaultToGlobal) {
        Subject subject = state.subject(subjectName);
        CompatibilityLevel level = subject == null ? null : subject.level;
        if (level != null) {
            return level;
        }
        if (defaultToGlobal) {
            return state.globalLevel();
        }
        throw RegistryError.subjectLevelNotConfigured(subjectName);
    }

    /** Sets the level of {@code subjectName}, or the global level when it is null. */
    synchronized void setLevel(String subjectName, CompatibilityLevel level) {
        requireWritable(subjectName);
        persistAndApply(List.of(RegistryState.configRecord(subjectName, level)));
    }

    /** Removes the subject's own level and returns it (40408 when it has none). */
    synchronized CompatibilityLevel deleteLevel(String subjectName) {
        CompatibilityLevel previous = subjectLevel(subjectName, false);
        requireWritable(subjectName);
        persistAndApply(List.of(RegistryState.configRecord(subjectName, null)));
        return previous;
    }

    synchronized RegistryMode globalMode() {
        return state.globalMode();
    }

    /** The subject's own mode; falls back to the global one only when {@code defaultToGlobal}. */
    synchronized RegistryMode subjectMode(String subjectName, boolean defaultToGlobal) {
        Subject subject = state.subject(subjectName);
        if (subject != null && subject.mode != null) {
            return subject.mode;
        }
        if (defaultToGlobal) {
            return state.globalMode();
        }
        throw RegistryError.subjectModeNotConfigured(subjectName);
    }

    /**
     * Sets the mode of {@code subjectName}, or the global mode when it is null. As in Confluent,
     * switching to IMPORT needs the subject (or, globally, the registry) to have no live versions
     * unless {@code force}, and then removes its soft-deleted versions for good, so imported ids
     * and versions cannot collide with them.
     */
    synchronized void setMode(String subjectName, RegistryMode mode, boolean force) {
        List<ObjectNode> records = new ArrayList<>();
        if (mode == RegistryMode.IMPORT
                && state.effectiveMode(subjectName) != RegistryMode.IMPORT
                && !force) {
            List<String> scope =
                    subjectName == null
                            ? state.subjectNames(Visibility.ALL)
                            : state.subject(subjectName) == null ? List.of() : List.of(subjectName);
            List<String> live = new ArrayList<>();
            for (String name : scope) {
                if (state.subject(name).has(Visibility.LIVE)) {
                    live.add(name);
                }
            }
            if (!live.isEmpty()) {
                throw RegistryError.notPermitted(
                        "Cannot import since found existing subjects "
                                + live
                                + "; delete them (permanently) first, or pass force=true to"
                                + " import next to them");
            }
            for (String name : scope) {
                Subject subject = state.subject(name);
                if (subject.versions.isEmpty()) {
                    continue;
                }
                for (Version version : subject.versions.values()) {
                    List<SubjectVersion> referrers = state.referrers(name, version.number, true);
                    if (!referrers.isEmpty()) {
                        throw referenceExists(name, version.number, referrers);
                    }
                }
                records.add(RegistryState.purgeSubjectRecord(name));
            }
        }
        records.add(RegistryState.modeRecord(subjectName, mode));
        persistAndApply(records);
    }

    /** Removes the subject's own mode and returns it; 40401 when it has none. */
    synchronized RegistryMode deleteSubjectMode(String subjectName) {
        Subject subject = state.subject(subjectName);
        if (subject == null || subject.mode == null) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        RegistryMode previous = subject.mode;
        persistAndApply(List.of(RegistryState.modeRecord(subjectName, null)));
        return previous;
    }

    /** Resets the global mode to READWRITE and returns the one it replaced. */
    synchronized RegistryMode deleteGlobalMode() {
        RegistryMode previous = state.globalMode();
        persistAndApply(List.of(RegistryState.modeRecord(null, null)));
        return previous;
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }

    // ---------------------------------------------------------------- helpers

    private AvroSchemaParser.Parsed parse(SchemaRequest request) {
        return AvroSchemaParser.parse(request.schema(), request.references(), state::findReference);
    }

    /**
     * The newest version holding the parsed schema (with id {@code requiredId} unless it is -1):
     * the same text and references, or, for a request without references, the same resolved schema.
     */
    private Version findMatch(List<Version> oldestFirst, AvroSchemaParser.Parsed parsed, int id) {
        Version resolvedMatch = null;
        for (int i = oldestFirst.size() - 1; i >= 0; i--) {
            Version version = oldestFirst.get(i);
            if (id >= 0 && version.id != id) {
                continue;
            }
            StoredSchema stored = state.schema(version.id);
            if (stored.canonical().equals(parsed.canonical())
                    && stored.references().equals(parsed.references())) {
                return version;
            }
            if (resolvedMatch == null
                    && parsed.references().isEmpty()
                    && !stored.references().isEmpty()
                    && stored.schema().toString().equals(parsed.schema().toString())) {
                resolvedMatch = version;
            }
        }
        return resolvedMatch;
    }

    private void checkCompatible(
            String subjectName, AvroSchemaParser.Parsed parsed, List<Version> live) {
        CompatibilityLevel level = state.effectiveLevel(subjectName);
        List<AvroCompatibilityChecker.Existing> existing = new ArrayList<>();
        live.forEach(version -> existing.add(existing(version)));
        List<String> messages = AvroCompatibilityChecker.check(level, parsed.schema(), existing);
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

    private AvroCompatibilityChecker.Existing existing(Version version) {
        return new AvroCompatibilityChecker.Existing(
                version.number, state.schema(version.id).schema());
    }

    private Version liveVersion(String subjectName, Subject subject, int number, String spec) {
        if (subject == null || !subject.has(Visibility.LIVE)) {
            throw RegistryError.subjectNotFound(subjectName);
        }
        Version version = subject.versions.get(number);
        if (version == null || version.deleted) {
            throw RegistryError.versionNotFound(subjectName, spec);
        }
        return version;
    }

    /** Confluent drops a subject's level and mode with its last version. */
    private static void forgetSubjectSettings(
            String subjectName, Subject subject, List<ObjectNode> records) {
        if (subject.level != null) {
            records.add(RegistryState.configRecord(subjectName, null));
        }
        if (subject.mode != null) {
            records.add(RegistryState.modeRecord(subjectName, null));
        }
    }

    private void requireWritable(String subjectName) {
        if (state.effectiveMode(subjectName) == RegistryMode.READONLY) {
            throw readOnly(subjectName);
        }
    }

    private static RegistryError readOnly(String subjectName) {
        return RegistryError.notPermitted(
                (subjectName == null ? "The registry" : "Subject '" + subjectName + "'")
                        + " is in read-only mode; set its mode to READWRITE (PUT /mode) to"
                        + " change it");
    }

    private static RegistryError referenceExists(
            String subjectName, int version, List<SubjectVersion> referrers) {
        List<Integer> ids = new ArrayList<>();
        for (SubjectVersion referrer : referrers) {
            if (!ids.contains(referrer.schema().id())) {
                ids.add(referrer.schema().id());
            }
        }
        return RegistryError.referenceExists(subjectName, version, ids);
    }

    /** Writes the records as one log line, then applies them. */
    private void persistAndApply(List<ObjectNode> records) {
        ObjectNode record =
                records.size() == 1 ? records.get(0) : RegistryState.batchRecord(records);
        try {
            log.append(record);
        } catch (IOException e) {
            throw RegistryError.storeError("cannot write " + log.file() + ": " + e, e);
        }
        state.apply(record);
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
