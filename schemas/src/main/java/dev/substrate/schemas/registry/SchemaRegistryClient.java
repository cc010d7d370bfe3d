package dev.substrate.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;

/**
 * A small client for the Confluent Schema Registry REST API (also spoken by Apicurio's ccompat API,
 * Karapace, Redpanda and {@link dev.substrate.embedded.registry.EmbeddedSchemaRegistry}).
 * Thread-safe. Schemas by id are cached forever (ids are immutable), and the id of a schema under a
 * subject is cached once registered or looked up, so steady-state encoding and decoding make no
 * HTTP calls. Schemas with {@linkplain SchemaReference references} are resolved when fetched: the
 * referenced versions are fetched and parsed first, so the schema returned is complete.
 *
 * <pre>{@code
 * try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(url))) {
 *     int id = client.register(TopicNameStrategy.valueSubject(topic), GpuSample.getClassSchema());
 *     Schema writer = client.getSchemaById(id);
 * }
 * }</pre>
 */
public class SchemaRegistryClient implements AutoCloseable {

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9,"
                    + " application/json; qs=0.5";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SchemaRegistryConfig config;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema, List<SchemaReference> references) {}

    public SchemaRegistryClient(SchemaRegistryConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        // TLS uses the JDK's default SSLContext: trust store and key store come from the usual
        // javax.net.ssl.* system properties.
        this.http =
                HttpClient.newBuilder()
                        .connectTimeout(config.timeout())
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .build();
    }

    /** The configuration this client talks with. */
    public SchemaRegistryConfig config() {
        return config;
    }

    /**
     * Registers {@code schema} under {@code subject} (or finds it if already registered) and
     * returns its global id. The registry refuses schemas incompatible with the subject's
     * compatibility level (error code 409).
     */
    public int register(String subject, Schema schema) throws SchemaRegistryException {
        return register(subject, schema, List.of());
    }

    /**
     * Registers {@code schema} under {@code subject} with the named types of {@code references}
     * defined by other subjects, and returns its global id. The registry stores the schema with
     * those types by name only; {@code schema} itself is complete, as a generated class has it.
     *
     * @throws IllegalArgumentException when a referenced type in {@code schema} differs from the
     *     version the reference names: data written with {@code schema} would not decode with what
     *     the registry holds
     */
    public int register(String subject, Schema schema, List<SchemaReference> references)
            throws SchemaRegistryException {
        List<SchemaReference> refs = List.copyOf(Objects.requireNonNull(references, "references"));
        SubjectSchema key = new SubjectSchema(requireSubject(subject), requireSchema(schema), refs);
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = schemaBody(schema);
        if (!refs.isEmpty()) {
            String what = "the schema of subject " + subject;
            Schema.Parser parser = new Schema.Parser();
            defineReferences(parser, refs, new HashSet<>(), what);
            String text = withReferencedTypesByName(schema, parser.getTypes().values());
            if (!parseWith(parser, text, what).equals(schema)) {
                throw new IllegalArgumentException(
                        "The schema for subject '"
                                + subject
                                + "' differs from the types its references "
                                + refs
                                + " name in the registry; register the current versions of"
                                + " those types first and reference them");
            }
            body.put("schema", text);
            SchemaReferencesJson.put(body, refs);
        }
        JsonNode response = send("POST", "/subjects/" + encode(subject) + "/versions", body);
        int id = requiredInt(response, "id", "register");
        idsBySubjectSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /**
     * The id of {@code schema} if it is registered under {@code subject}; never registers.
     * Not-found answers are 40401 (no such subject) or 40403 (schema not under the subject).
     */
    public int getId(String subject, Schema schema) throws SchemaRegistryException {
        SubjectSchema key =
                new SubjectSchema(requireSubject(subject), requireSchema(schema), List.of());
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode response = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
        int id = requiredInt(response, "id", "lookup");
        idsBySubjectSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /** The schema with global id {@code id}; cached forever after the first call. */
    public Schema getSchemaById(int id) throws SchemaRegistryException {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode response = send("GET", "/schemas/ids/" + id, null);
        Schema schema = parseSchema(response, "schema id " + id);
        Schema previous = schemasById.putIfAbsent(id, schema);
        return previous != null ? previous : schema;
    }

    /** The latest version of {@code subject}. */
    public RegisteredSchema getLatest(String subject) throws SchemaRegistryException {
        return fetchVersion(subject, "latest");
    }

    /** Version {@code version} of {@code subject}. */
    public RegisteredSchema getVersion(String subject, int version) throws SchemaRegistryException {
        return fetchVersion(subject, Integer.toString(version));
    }

    /** All subjects with at least one live version. */
    public List<String> getSubjects() throws SchemaRegistryException {
        JsonNode response = send("GET", "/subjects", null);
        List<String> subjects = new ArrayList<>();
        for (JsonNode node : requireArray(response, "list subjects")) {
            subjects.add(node.asText());
        }
        return subjects;
    }

    /** The version numbers of {@code subject}, ascending. */
    public List<Integer> getVersions(String subject) throws SchemaRegistryException {
        JsonNode response =
                send("GET", "/subjects/" + encode(requireSubject(subject)) + "/versions", null);
        List<Integer> versions = new ArrayList<>();
        for (JsonNode node : requireArray(response, "list versions")) {
            versions.add(node.asInt());
        }
        return versions;
    }

    /**
     * Whether {@code schema} could be registered under {@code subject} now, with the registry's
     * explanation of each incompatibility.
     */
    public CompatibilityCheck testCompatibility(String subject, Schema schema)
            throws SchemaRegistryException {
        JsonNode response =
                send(
                        "POST",
                        "/compatibility/subjects/"
                                + encode(requireSubject(subject))
                                + "/versions/latest?verbose=true",
                        schemaBody(requireSchema(schema)));
        JsonNode compatible = response.get("is_compatible");
        if (compatible == null || !compatible.isBoolean()) {
            throw malformed("compatibility test", "is_compatible");
        }
        List<String> messages = new ArrayList<>();
        JsonNode messageNodes = response.get("messages");
        if (messageNodes != null && messageNodes.isArray()) {
            messageNodes.forEach(node -> messages.add(node.asText()));
        }
        return new CompatibilityCheck(compatible.booleanValue(), messages);
    }

    /**
     * The compatibility level of {@code subject}, falling back to the global level when the subject
     * has none of its own; the global level when {@code subject} is null.
     */
    public CompatibilityLevel getCompatibility(String subject) throws SchemaRegistryException {
        String path =
                subject == null
                        ? "/config"
                        : "/config/" + encode(requireSubject(subject)) + "?defaultToGlobal=true";
        JsonNode response = send("GET", path, null);
        JsonNode level = response.get("compatibilityLevel");
        if (level == null) {
            level = response.get("compatibility");
        }
        if (level == null || !level.isTextual()) {
            throw malformed("get compatibility", "compatibilityLevel");
        }
        return parseLevel(level.asText());
    }

    /** Sets the compatibility level of {@code subject}, or the global level when it is null. */
    public void setCompatibility(String subject, CompatibilityLevel level)
            throws SchemaRegistryException {
        Objects.requireNonNull(level, "level");
        String path = subject == null ? "/config" : "/config/" + encode(requireSubject(subject));
        ObjectNode body = JSON.createObjectNode().put("compatibility", level.name());
        send("PUT", path, body);
    }

    /** Drops the caches; the underlying JDK HTTP client needs no closing on Java 17. */
    @Override
    public void close() {
        schemasById.clear();
        idsBySubjectSchema.clear();
    }

    @Override
    public String toString() {
        return "SchemaRegistryClient{" + config + '}';
    }

    private RegisteredSchema fetchVersion(String subject, String version)
            throws SchemaRegistryException {
        JsonNode response =
                send(
                        "GET",
                        "/subjects/" + encode(requireSubject(subject)) + "/versions/" + version,
                        null);
        int id = requiredInt(response, "id", "get version");
        int number = requiredInt(response, "version", "get version");
        JsonNode subjectNode = response.get("subject");
        Schema schema = schemasById.get(id);
        if (schema == null) {
            schema = parseSchema(response, "schema id " + id);
            Schema previous = schemasById.putIfAbsent(id, schema);
            schema = previous != null ? previous : schema;
        }
        return new RegisteredSchema(
                subjectNode != null ? subjectNode.asText() : subject, number, id, schema);
    }

    /**
     * Sends one request to the registry and returns its JSON answer; package-private so tests can
     * reach endpoints the typed methods do not expose.
     */
    JsonNode send(String method, String pathAndQuery, JsonNode body)
            throws SchemaRegistryException {
        String what = method + " " + pathAndQuery;
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(config.url() + pathAndQuery))
                        .timeout(config.timeout())
                        .header("Accept", ACCEPT);
        String authorization = config.authorizationHeader();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }

        HttpResponse<String> response;
        try {
            response =
                    http.send(
                            request.build(),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw SchemaRegistryException.unreachable(
                    what + " to " + config.url() + " timed out after " + config.timeout(), e);
        } catch (IOException e) {
            throw SchemaRegistryException.unreachable(
                    what + " to " + config.url() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SchemaRegistryException.unreachable(
                    what + " to " + config.url() + " was interrupted", e);
        }

        int status = response.statusCode();
        if (status / 100 != 2) {
            throw errorFrom(what, status, response.body());
        }
        try {
            String text = response.body();
            return text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SchemaRegistryException(
                    what + " returned HTTP " + status + " with a body that is not JSON",
                    status,
                    -1,
                    false,
                    e);
        }
    }

    private SchemaRegistryException errorFrom(String what, int status, String body) {
        int errorCode = -1;
        String message = null;
        try {
            JsonNode node = body == null || body.isBlank() ? null : JSON.readTree(body);
            if (node != null && node.isObject()) {
                JsonNode code = node.get("error_code");
                if (code != null && code.canConvertToInt()) {
                    errorCode = code.asInt();
                }
                JsonNode text = node.get("message");
                if (text != null && !text.isNull()) {
                    message = text.asText();
                }
            }
        } catch (JsonProcessingException notJson) {
            // Proxies and load balancers answer with HTML; keep a short excerpt instead.
        }
        if (message == null) {
            message =
                    body == null || body.isBlank()
                            ? "(no body)"
                            : body.substring(0, Math.min(200, body.length())).strip();
        }
        return new SchemaRegistryException(
                what
                        + " failed: "
                        + message
                        + " (HTTP "
                        + status
                        + (errorCode >= 0 ? ", error code " + errorCode : "")
                        + ")",
                status,
                errorCode);
    }

    private static ObjectNode schemaBody(Schema schema) {
        // schemaType is omitted on purpose: AVRO is the default and some older registries reject
        // the field.
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    /**
     * Parses the {@code schema} of a registry answer, after fetching and parsing the versions its
     * {@code references} name (and theirs, depth first) into the same parser.
     */
    private Schema parseSchema(JsonNode response, String what) throws SchemaRegistryException {
        JsonNode text = response.get("schema");
        if (text == null || !text.isTextual()) {
            throw malformed("fetch " + what, "schema");
        }
        JsonNode type = response.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equalsIgnoreCase(type.asText())) {
            throw new SchemaRegistryException(
                    what + " is a " + type.asText() + " schema; only AVRO is supported", 200, -1);
        }
        Schema.Parser parser = new Schema.Parser();
        defineReferences(parser, referencesOf(response, what), new HashSet<>(), what);
        return parseWith(parser, text.asText(), what);
    }

    /**
     * Fetches each referenced version (soft-deleted ones too: data written with them must stay
     * readable) and parses it into {@code parser}, its own references first; each type name once.
     */
    private void defineReferences(
            Schema.Parser parser,
            List<SchemaReference> references,
            Set<String> defined,
            String what)
            throws SchemaRegistryException {
        for (SchemaReference reference : references) {
            if (!defined.add(reference.name())) {
                continue;
            }
            String version =
                    reference.version() == SchemaReference.LATEST
                            ? "latest"
                            : Integer.toString(reference.version());
            JsonNode referenced;
            try {
                referenced =
                        send(
                                "GET",
                                "/subjects/"
                                        + encode(reference.subject())
                                        + "/versions/"
                                        + version
                                        + "?deleted=true",
                                null);
            } catch (SchemaRegistryException e) {
                if (e.isRetryable() || e.httpStatus() == 401 || e.httpStatus() == 403) {
                    throw e;
                }
                // The registry answered, but the schema cannot be assembled: like an unusable
                // schema, not like an unknown id.
                throw new SchemaRegistryException(
                        what
                                + " references "
                                + reference
                                + ", which the registry cannot serve: "
                                + e.getMessage(),
                        200,
                        -1,
                        false,
                        e);
            }
            String referencedWhat = "reference " + reference.name() + " of " + what;
            defineReferences(parser, referencesOf(referenced, referencedWhat), defined, what);
            JsonNode text = referenced.get("schema");
            if (text == null || !text.isTextual()) {
                throw malformed("fetch " + referencedWhat, "schema");
            }
            parseWith(parser, text.asText(), referencedWhat);
        }
    }

    private static List<SchemaReference> referencesOf(JsonNode response, String what)
            throws SchemaRegistryException {
        try {
            return SchemaReferencesJson.read(response.get("references"));
        } catch (IllegalArgumentException e) {
            throw new SchemaRegistryException(
                    what + " has an invalid reference: " + e.getMessage(), 200, -1, false, e);
        }
    }

    private static Schema parseWith(Schema.Parser parser, String text, String what)
            throws SchemaRegistryException {
        try {
            return parser.parse(text);
        } catch (AvroRuntimeException | IllegalArgumentException e) {
            throw new SchemaRegistryException(
                    what + " is not a valid Avro schema: " + e.getMessage(), 200, -1, false, e);
        }
    }

    /**
     * The schema's JSON with {@code referencedTypes} by name only, as a registry stores a schema
     * with references. Avro 1.12 deprecates this printer but offers no other that leaves known
     * types out.
     */
    @SuppressWarnings("deprecation")
    private static String withReferencedTypesByName(
            Schema schema, Collection<Schema> referencedTypes) {
        return schema.toString(referencedTypes, false);
    }

    private static int requiredInt(JsonNode response, String field, String what)
            throws SchemaRegistryException {
        JsonNode node = response.get(field);
        if (node == null || !node.canConvertToInt()) {
            throw malformed(what, field);
        }
        return node.asInt();
    }

    private static JsonNode requireArray(JsonNode response, String what)
            throws SchemaRegistryException {
        if (!response.isArray()) {
            throw new SchemaRegistryException(
                    what + ": expected a JSON array from the registry", 200, -1);
        }
        return response;
    }

    private static SchemaRegistryException malformed(String what, String field) {
        return new SchemaRegistryException(
                what + ": the registry's answer has no valid '" + field + "' field", 200, -1);
    }

    private static CompatibilityLevel parseLevel(String name) throws SchemaRegistryException {
        try {
            return CompatibilityLevel.parse(name);
        } catch (IllegalArgumentException e) {
            throw new SchemaRegistryException(e.getMessage(), 200, -1, false, e);
        }
    }

    private static String requireSubject(String subject) {
        if (subject == null || subject.isEmpty()) {
            throw new IllegalArgumentException("subject must not be null or empty");
        }
        return subject;
    }

    private static Schema requireSchema(Schema schema) {
        return Objects.requireNonNull(schema, "schema");
    }

    /** Percent-encodes a path segment; URLEncoder targets forms, so its '+' becomes %20. */
    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
