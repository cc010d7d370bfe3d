package dev.substrate.embedded.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry for local runs and tests that speaks the Confluent Schema Registry REST API
 * with the same status and error codes, enforces all seven compatibility levels with Avro's own
 * checker, and keeps its state in an append-only log so ids and versions survive restarts. Avro
 * schemas only (JSON Schema and Protobuf are refused with 42201), with schema references; no
 * authentication (bind it to a loopback address).
 *
 * <pre>{@code
 * try (EmbeddedSchemaRegistry registry =
 *                 EmbeddedSchemaRegistry.builder().stateDir(stateDir).port(0).start();
 *         SchemaRegistryClient client =
 *                 new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
 *     client.register("substrate.gpu-samples-value", GpuSample.getClassSchema());
 * }
 * }</pre>
 *
 * <p>Resources, each in its own class: {@code /subjects} ({@link SubjectsResource}: soft and
 * permanent deletion of subjects and versions, {@code deleted=true} listings, {@code
 * referencedby}), {@code /schemas} ({@link SchemasResource}: by id, with the subjects and versions
 * using an id), {@code /compatibility} ({@link CompatibilityResource}), {@code /config} ({@link
 * ConfigResource}) and {@code /mode} ({@link ModeResource}: READWRITE, READONLY, IMPORT). Request
 * bodies over {@link Builder#maxRequestBytes} are refused with 413 before they are read.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    /** System property holding the default request size limit in bytes. */
    public static final String MAX_REQUEST_BYTES_PROPERTY = "substrate.registry.max-request-bytes";

    /**
     * Request size limit when none is configured: 1 MiB, the schema size limit of Confluent Cloud;
     * larger schemas are better split into referenced schemas.
     */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 1L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final int THREADS = 4;

    /** How much of a refused request body is read (and dropped) so the client gets the 413. */
    private static final long DISCARD_LIMIT_BYTES = 256L << 20;

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
    private final long maxRequestBytes;
    private final Map<String, Function<RegistryRequest, RegistryResponse>> resources;
    private final String url;
    private boolean closed;

    private EmbeddedSchemaRegistry(
            SchemaStore store, HttpServer server, ExecutorService executor, long maxRequestBytes) {
        this.store = store;
        this.server = server;
        this.executor = executor;
        this.maxRequestBytes = maxRequestBytes;
        this.resources =
                Map.of(
                        "subjects", new SubjectsResource(store)::handle,
                        "schemas", new SchemasResource(store)::handle,
                        "compatibility", new CompatibilityResource(store)::handle,
                        "config", new ConfigResource(store)::handle,
                        "mode", new ModeResource(store)::handle);
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        this.url = "http://" + host + ":" + address.getPort();
    }

    /**
     * A builder; only the state directory is required.
     *
     * @throws IllegalArgumentException when {@value #MAX_REQUEST_BYTES_PROPERTY} is set but not a
     *     number
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a registry whose state lives in {@code stateDir} (created if absent, replayed if
     * present), listening on {@code bindHost:port}; port 0 picks a free port. Other settings keep
     * their defaults; see {@link #builder()}.
     *
     * @throws IOException if the state cannot be read or locked, or the port cannot be bound
     */
    public static EmbeddedSchemaRegistry start(Path stateDir, String bindHost, int port)
            throws IOException {
        return builder().stateDir(stateDir).bindHost(bindHost).port(port).start();
    }

    /** Base URL, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        return url;
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The largest request body accepted, in bytes. */
    public long maxRequestBytes() {
        return maxRequestBytes;
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

    /**
     * Settings of an {@link EmbeddedSchemaRegistry}.
     *
     * <pre>{@code
     * EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder()
     *         .stateDir(Path.of(".substrate/registry"))
     *         .bindHost("127.0.0.1")               // default
     *         .port(8085)                          // default 0: a free port
     *         .maxRequestBytes(4L << 20)           // default 1 MiB
     *         .start();
     * }</pre>
     */
    public static final class Builder {
        private Path stateDir;
        private String bindHost = "127.0.0.1";
        private int port;
        private long maxRequestBytes = configuredMaxRequestBytes();

        private Builder() {}

        private static long configuredMaxRequestBytes() {
            String value = System.getProperty(MAX_REQUEST_BYTES_PROPERTY);
            if (value == null || value.isBlank()) {
                return DEFAULT_MAX_REQUEST_BYTES;
            }
            try {
                return Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "-D"
                                + MAX_REQUEST_BYTES_PROPERTY
                                + "="
                                + value
                                + " is not a number of bytes; give for example 4194304 for 4 MiB");
            }
        }

        /** Where the registry log lives; created if absent, replayed if present. Required. */
        public Builder stateDir(Path stateDir) {
            this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
            return this;
        }

        /** The address to listen on; default {@code 127.0.0.1}. */
        public Builder bindHost(String bindHost) {
            this.bindHost = Objects.requireNonNull(bindHost, "bindHost");
            return this;
        }

        /** The port to listen on; default 0, a free port ({@link #port()} tells which). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * The largest request body accepted, in bytes; larger ones are answered with 413 before
         * they are read. Default {@value #DEFAULT_MAX_REQUEST_BYTES} (1 MiB), or the system
         * property {@value #MAX_REQUEST_BYTES_PROPERTY}.
         */
        public Builder maxRequestBytes(long maxRequestBytes) {
            this.maxRequestBytes = maxRequestBytes;
            return this;
        }

        /**
         * Opens the state and starts serving.
         *
         * @throws IllegalArgumentException for a missing state directory, a port outside 0-65535 or
         *     a request limit below 1 KiB
         * @throws IOException if the state cannot be read or locked, or the port cannot be bound
         */
        public EmbeddedSchemaRegistry start() throws IOException {
            if (stateDir == null) {
                throw new IllegalArgumentException(
                        "The embedded schema registry needs a state directory: set stateDir(...)");
            }
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException(
                        "Registry port must be between 0 (any free port) and 65535, got " + port);
            }
            if (maxRequestBytes < 1024) {
                throw new IllegalArgumentException(
                        "The registry's request limit must be at least 1024 bytes, got "
                                + maxRequestBytes
                                + " (from maxRequestBytes(...) or -D"
                                + MAX_REQUEST_BYTES_PROPERTY
                                + ")");
            }
            SchemaStore store = SchemaStore.open(stateDir);
            ExecutorService executor = null;
            try {
                HttpServer server = HttpServer.create(new InetSocketAddress(bindHost, port), 0);
                executor = Executors.newFixedThreadPool(THREADS, daemonThreads());
                server.setExecutor(executor);
                EmbeddedSchemaRegistry registry =
                        new EmbeddedSchemaRegistry(store, server, executor, maxRequestBytes);
                server.createContext("/", registry::handle);
                server.start();
                LOG.info(
                        "Embedded schema registry serving {} with state in {} ({} schemas, {}"
                                + " subjects, requests up to {} bytes)",
                        registry.url,
                        stateDir,
                        store.schemaCount(),
                        store.subjects(RegistryState.Visibility.LIVE).size(),
                        maxRequestBytes);
                return registry;
            } catch (IOException | RuntimeException e) {
                if (executor != null) {
                    executor.shutdownNow();
                }
                store.close();
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange exchange) throws IOException {
        RegistryResponse response;
        try {
            response =
                    route(
                            RegistryRequest.of(
                                    exchange, maxRequestBytes, MAX_REQUEST_BYTES_PROPERTY));
        } catch (RegistryError e) {
            response = RegistryResponse.error(e);
        } catch (RuntimeException e) {
            LOG.error(
                    "Embedded schema registry failed on {} {}",
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    e);
            response =
                    RegistryResponse.error(new RegistryError(500, 50001, "Internal error: " + e));
        }
        try (exchange) {
            byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            boolean refusedBody = response.status() == 413;
            if (refusedBody) {
                exchange.getResponseHeaders().set("Connection", "close");
            }
            exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
            OutputStream out = exchange.getResponseBody();
            out.write(bytes);
            out.flush();
            if (refusedBody) {
                discardRequestBody(exchange.getRequestBody());
            }
        }
    }

    /**
     * Reads and drops what the client still sends of a refused body, up to {@link
     * #DISCARD_LIMIT_BYTES}: closing a socket with unread input resets the connection, and the
     * client would lose the 413 answer sent before. Nothing is kept in memory.
     */
    private static void discardRequestBody(InputStream body) {
        byte[] chunk = new byte[8192];
        long discarded = 0;
        try {
            int read;
            while (discarded < DISCARD_LIMIT_BYTES && (read = body.read(chunk)) != -1) {
                discarded += read;
            }
        } catch (IOException e) {
            // The client gave up sending; the connection is closed either way.
        }
    }

    private RegistryResponse route(RegistryRequest r) {
        if (r.path().isEmpty()) {
            if (r.method().equals("GET")) {
                return RegistryResponse.ok(RegistryJson.object());
            }
            throw new RegistryError(405, 405, "HTTP 405 Method Not Allowed: " + r.method() + " /");
        }
        Function<RegistryRequest, RegistryResponse> resource = resources.get(r.segment(0));
        if (resource == null) {
            throw r.unrouted(String.join("/", r.path()), Set.of());
        }
        return resource.apply(r);
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
