package dev.substrate.vectors.http;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Objects;
import javax.annotation.Nullable;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A small Jetty server for {@code /api/search}, on 127.0.0.1 unless told otherwise. Bound to any
 * other address it refuses to start without a token (from the environment variable {@value
 * #TOKEN_ENV}), which every request must then carry.
 *
 * <pre>{@code
 * try (SearchHttpServer server = SearchHttpServer.builder().api(api).port(8090).build().start()) {
 *     System.out.println(server.url()); // http://127.0.0.1:8090/api/search
 * }
 * }</pre>
 */
public final class SearchHttpServer implements AutoCloseable {

    /** The environment variable holding the bearer token for a non-loopback bind. */
    public static final String TOKEN_ENV = "SUBSTRATE_SEARCH_TOKEN";

    private final Server server;
    private final ServerConnector connector;
    private final String host;

    private SearchHttpServer(Builder builder) {
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("search-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        this.connector = new ServerConnector(server, 1, 1);
        this.host = builder.host;
        connector.setHost(builder.host);
        connector.setPort(builder.port);
        server.addConnector(connector);
        server.setHandler(new SearchHandler(builder.api, builder.token));
        server.setStopAtShutdown(false);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts listening.
     *
     * @throws IllegalStateException when the port is taken, naming it and the option to change
     */
    public SearchHttpServer start() {
        try {
            server.start();
            return this;
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // nothing started
            }
            throw new IllegalStateException(
                    "Cannot serve /api/search on "
                            + host
                            + ":"
                            + connector.getPort()
                            + " ("
                            + e.getMessage()
                            + "): choose another port (--search-port, 0 for any free one)",
                    e);
        }
    }

    /** The port it listens on (the chosen one when built with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://<host>:<port>/api/search}. */
    public URI url() {
        return URI.create("http://" + host + ":" + port() + SearchHandler.PATH);
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot stop the search server", e);
        }
    }

    /** Builds a {@link SearchHttpServer}; the API is required. */
    public static final class Builder {
        private SearchApi api;
        private String host = "127.0.0.1";
        private int port = 8090;
        @Nullable private String token;

        private Builder() {}

        public Builder api(SearchApi api) {
            this.api = api;
            return this;
        }

        /** The address to bind (default 127.0.0.1). */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The port (default 8090; 0 for any free port). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The bearer token requests must carry; required for a non-loopback host. */
        public Builder token(@Nullable String token) {
            this.token = token == null || token.isEmpty() ? null : token;
            return this;
        }

        public SearchHttpServer build() {
            Objects.requireNonNull(api, "api");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("The search port must be 0-65535, not " + port);
            }
            if (token == null && !isLoopback(host)) {
                throw new IllegalArgumentException(
                        "Refusing to serve /api/search on "
                                + host
                                + " without a token: set "
                                + TOKEN_ENV
                                + " (every request must then carry Authorization: Bearer"
                                + " <token>), or bind to 127.0.0.1");
            }
            return new SearchHttpServer(this);
        }

        private static boolean isLoopback(String host) {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("Unknown search host '" + host + "'", e);
            }
        }
    }
}
