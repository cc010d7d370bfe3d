package dev.substrate.schemas.registry.embedded;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.substrate.schemas.registry.CompatibilityLevel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry for local runs and tests that speaks the Confluent Schema Registry REST API
 * with the same status and error codes, enforces all seven compatibility levels with Avro's own
 * checker, and keeps its state in an append-only log so ids and versions survive restarts. Avro
 * schemas only; no authentication (bind it to a loopback address).
 *
 * <pre>{@code
 * try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
 *         SchemaRegistryClient client =
 *                 new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
 *     client.register("substrate.gpu-samples-value", GpuSample.getClassSchema());
 * }
 * }</pre>
 *
 * <p>Endpoints: {@code GET /}, {@code GET /subjects}, {@code GET|POST /subjects/{s}/versions},
 * {@code GET /subjects/{s}/versions/{v|latest}[/schema]}, {@code POST|DELETE /subjects/{s}}, {@code
 * GET /schemas/ids/{id}[/schema]}, {@code GET /schemas/types}, {@code POST
 * /compatibility/subjects/{s}/versions[/{v|latest}]}, {@code GET|PUT /config}, {@code
 * GET|PUT|DELETE /config/{s}}.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int THREADS = 4;

    /** JDK system property read once, when the first {@link HttpServer} of the JVM starts. */
    static final String NO_DELAY_PROPERTY = "sun.net.httpserver.nodelay";

    static {
        // The JDK server writes headers and body separately with Nagle's algorithm on, so every
        // response waits ~40 ms for the client's delayed ACK; TCP_NODELAY makes calls ~5x faster.
        if (System.getProperty(NO_DELAY_PROPERTY) == null) {
            System.setProperty(NO_DELAY_PROPERTY, "true");
        }
    }

    private final SchemaStore store;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String url;
    private boolean closed;

    private EmbeddedSchemaRegistry(SchemaStore store, HttpServer server, ExecutorService executor) {
        this.store = store;
        this.server = server;
        this.executor = executor;
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        this.url = "http://" + host + ":" + address.getPort();
    }

    /**
     * Starts a registry whose state lives in {@code stateDir} (created if absent, replayed if
     * present), listening on {@code bindHost:port}; port 0 picks a free port.
     *
     * @throws IOException if the state cannot be read or locked, or the port cannot be bound
     */
    public static EmbeddedSchemaRegistry start(Path stateDir, String bindHost, int port)
            throws IOException {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(bindHost, "bindHost");
        SchemaStore store = SchemaStore.open(stateDir);
        ExecutorService executor = null;
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(bindHost, port), 0);
            executor = Executors.newFixedThreadPool(THREADS, daemonThreads());
            server.setExecutor(executor);
            EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(store, server, executor);
            server.createContext("/", registry::handle);
            server.start();
            LOG.info(
                    "Embedded schema registry serving {} with state in {} ({} schemas, {}"
                            + " subjects)",
                    registry.url,
                    stateDir,
                    store.schemaCount(),
                    store.subjects(false).size());
            return registry;
        } catch (IOException | RuntimeException e) {
            if (executor != null) {
                executor.shutdownNow();
            }
            store.close();
            throw e;
        }
    }

    /** Base URL, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        return url;
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops serving and releases the state directory; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            store.close();
        } catch (IOException e) {
            LOG.warn("Could not close the registry log cleanly", e);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedSchemaRegistry{" + url + '}';
    }

    // ---------------------------------------------------------------- HTTP

    /** A parsed request: decoded path segments, query parameters and the raw exchange. */
    private record Request(
            String method, List<String> path, Map<String, String> query, HttpExchange exchange) {
        boolean flag(String name) {
            return Boolean.parseBoolean(query.getOrDefault(name, "false"));
        }
    }

    /** A response: status and either a JSON node or a raw JSON text. */
    private record Response(int status, String body) {
        static Response ok(JsonNode node) {
            return new Response(200, node.toString());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        Response response;
        try {
            Request request = parse(exchange);
            response = route(request);
        } catch (RegistryError e) {
            response = error(e.httpStatus(), e.errorCode(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error(
                    "Embedded schema registry failed on {} {}",
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    e);
            response = error(500, 50001, "Internal error: " + e);
        }
        try (exchange) {
            byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** Resource shapes served, with {@code *} for a path parameter; other methods get 405. */
    private static final Set<String> SHAPES =
            Set.of(
                    "",
                    "subjects",
                    "subjects/*",
                    "subjects/*/versions",
                    "subjects/*/versions/*",
                    "subjects/*/versions/*/schema",
                    "schemas/types",
                    "schemas/ids/*",
                    "schemas/ids/*/schema",
                    "compatibility/subjects/*/versions",
                    "compatibility/subjects/*/versions/*",
                    "config",
                    "config/*");

    private Response route(Request r) {
        List<String> p = r.path();
        String shape = shape(p);
        switch (r.method() + " " + shape) {
            case "GET " -> {
                return Response.ok(JSON.createObjectNode());
            }
            case "GET subjects" -> {
                return Response.ok(strings(store.subjects(r.flag("deleted"))));
            }
            case "POST subjects/*" -> {
                return Response.ok(versionJson(store.lookup(p.get(1), schemaFrom(r))));
            }
            case "DELETE subjects/*" -> {
                return Response.ok(ints(store.deleteSubject(p.get(1), r.flag("permanent"))));
            }
            case "GET subjects/*/versions" -> {
                return Response.ok(ints(store.versions(p.get(1))));
            }
            case "POST subjects/*/versions" -> {
                int id = store.register(p.get(1), schemaFrom(r));
                return Response.ok(JSON.createObjectNode().put("id", id));
            }
            case "GET subjects/*/versions/*" -> {
                return Response.ok(versionJson(store.version(p.get(1), p.get(3))));
            }
            case "GET subjects/*/versions/*/schema" -> {
                return new Response(200, store.version(p.get(1), p.get(3)).schema().canonical());
            }
            case "GET schemas/types" -> {
                return Response.ok(strings(List.of("AVRO")));
            }
            case "GET schemas/ids/*" -> {
                String text = store.schemaById(parseId(p.get(2))).canonical();
                return Response.ok(JSON.createObjectNode().put("schema", text));
            }
            case "GET schemas/ids/*/schema" -> {
                return new Response(200, store.schemaById(parseId(p.get(2))).canonical());
            }
            case "POST compatibility/subjects/*/versions" -> {
                return compatibility(p.get(2), "latest", r);
            }
            case "POST compatibility/subjects/*/versions/*" -> {
                return compatibility(p.get(2), p.get(4), r);
            }
            case "GET config" -> {
                return levelJson("compatibilityLevel", store.globalLevel());
            }
            case "PUT config" -> {
                CompatibilityLevel level = levelFrom(r);
                store.setLevel(null, level);
                return levelJson("compatibility", level);
            }
            case "GET config/*" -> {
                return levelJson(
                        "compatibilityLevel",
                        store.subjectLevel(p.get(1), r.flag("defaultToGlobal")));
            }
            case "PUT config/*" -> {
                CompatibilityLevel level = levelFrom(r);
                store.setLevel(p.get(1), level);
                return levelJson("compatibility", level);
            }
            case "DELETE config/*" -> {
                CompatibilityLevel previous = store.subjectLevel(p.get(1), false);
                store.setLevel(p.get(1), null);
                return levelJson("compatibilityLevel", previous);
            }
            default -> {
                if (SHAPES.contains(shape)) {
                    throw new RegistryError(
                            405, 405, "HTTP 405 Method Not Allowed: " + r.method() + " /" + shape);
                }
                throw new RegistryError(
                        404, 404, "HTTP 404 Not Found: " + r.method() + " /" + String.join("/", p));
            }
        }
    }

    /** The path with its parameters (subject, version, id) replaced by {@code *}. */
    private static String shape(List<String> path) {
        if (path.isEmpty()) {
            return "";
        }
        Set<Integer> parameters =
                switch (path.get(0)) {
                    case "subjects" -> Set.of(1, 3);
                    case "schemas" -> Set.of(2);
                    case "compatibility" -> Set.of(2, 4);
                    case "config" -> Set.of(1);
                    default -> Set.of();
                };
        List<String> shape = new ArrayList<>(path.size());
        for (int i = 0; i < path.size(); i++) {
            shape.add(parameters.contains(i) ? "*" : path.get(i));
        }
        return String.join("/", shape);
    }

    private Response compatibility(String subject, String version, Request r) {
        Schema schema = schemaFrom(r);
        List<String> messages = store.testCompatibility(subject, version, schema);
        ObjectNode body = JSON.createObjectNode().put("is_compatible", messages.isEmpty());
        if (r.flag("verbose")) {
            body.set("messages", strings(messages));
        }
        return Response.ok(body);
    }

    private static Response levelJson(String field, CompatibilityLevel level) {
        return Response.ok(JSON.createObjectNode().put(field, level.name()));
    }

    private static JsonNode versionJson(SchemaStore.VersionView view) {
        ObjectNode node = JSON.createObjectNode();
        node.put("subject", view.subject());
        node.put("version", view.version());
        node.put("id", view.schema().id());
        node.put("schema", view.schema().canonical());
        return node;
    }

    /** Reads the {@code schema} of a request body and parses it as Avro; anything else is 42201. */
    private static Schema schemaFrom(Request r) {
        JsonNode body = body(r);
        JsonNode type = body.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equalsIgnoreCase(type.asText())) {
            throw RegistryError.invalidSchema(
                    "schema type "
                            + type.asText()
                            + " is not supported; this registry accepts AVRO schemas only");
        }
        JsonNode references = body.get("references");
        if (references != null && references.isArray() && !references.isEmpty()) {
            throw RegistryError.invalidSchema("schema references are not supported");
        }
        JsonNode text = body.get("schema");
        if (text == null || !text.isTextual() || text.asText().isBlank()) {
            throw RegistryError.invalidSchema("the request has no 'schema' string");
        }
        try {
            return new Schema.Parser().parse(text.asText());
        } catch (RuntimeException e) {
            // Avro reports bad JSON, unknown types, bad names and bad defaults with different
            // runtime exceptions; all of them mean the same thing to the caller.
            throw RegistryError.invalidSchema(e.getMessage());
        }
    }

    private static CompatibilityLevel levelFrom(Request r) {
        JsonNode level = body(r).get("compatibility");
        if (level == null || !level.isTextual()) {
            throw RegistryError.invalidCompatibilityLevel(
                    level == null ? "(missing)" : level.toString());
        }
        try {
            return CompatibilityLevel.parse(level.asText());
        } catch (IllegalArgumentException e) {
            throw RegistryError.invalidCompatibilityLevel(level.asText());
        }
    }

    private static JsonNode body(Request r) {
        try (InputStream in = r.exchange().getRequestBody()) {
            byte[] bytes = in.readAllBytes();
            JsonNode node = bytes.length == 0 ? null : JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new RegistryError(400, 400, "The request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new RegistryError(
                    400, 400, "The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new RegistryError(400, 400, "Could not read the request body: " + e);
        }
    }

    private static int parseId(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw RegistryError.schemaNotFound("'" + text + "' is not a schema id");
        }
    }

    private static Request parse(HttpExchange exchange) {
        List<String> path = new ArrayList<>();
        // Split the raw path so an encoded '/' (%2F) inside a subject stays inside it.
        for (String segment : exchange.getRequestURI().getRawPath().split("/")) {
            if (!segment.isEmpty()) {
                path.add(decode(segment));
            }
        }
        Map<String, String> query = new HashMap<>();
        String rawQuery = exchange.getRequestURI().getRawQuery();
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                query.put(key, value);
            }
        }
        return new Request(exchange.getRequestMethod(), path, query, exchange);
    }

    /** Percent-decodes; a literal '+' in a path is a plus, not a space. */
    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new RegistryError(400, 400, "Malformed percent-encoding in '" + raw + "'");
        }
    }

    private static Response error(int status, int errorCode, String message) {
        ObjectNode node = JSON.createObjectNode();
        node.put("error_code", errorCode);
        node.put("message", message);
        return new Response(status, node.toString());
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode array = JSON.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    private static ArrayNode ints(List<Integer> values) {
        ArrayNode array = JSON.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread =
                    new Thread(runnable, "embedded-schema-registry-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
