package dev.substrate.vectors.http;

import java.net.URI;
import java.util.Objects;
import javax.annotation.Nullable;

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

    private final GuardedJettyServer server;

    private SearchHttpServer(Builder builder) {
        this.server =
                GuardedJettyServer.create(
                        "/api/search",
                        "--search-port",
                        builder.host,
                        builder.port,
                        8,
                        new SearchHandler(builder.api, builder.token));
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
        server.start();
        return this;
    }

    /** The port it listens on (the chosen one when built with port 0). */
    public int port() {
        return server.port();
    }

    /** {@code http://<host>:<port>/api/search}. */
    public URI url() {
        return server.url(SearchHandler.PATH);
    }

    @Override
    public void close() {
        server.close();
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
            GuardedJettyServer.checkBind("/api/search", host, port, token, TOKEN_ENV);
            return new SearchHttpServer(this);
        }
    }
}
