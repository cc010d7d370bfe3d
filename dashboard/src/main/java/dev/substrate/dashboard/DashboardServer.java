package dev.substrate.dashboard;

import dev.substrate.dashboard.http.AccessGuard;
import dev.substrate.dashboard.http.AssetHandler;
import dev.substrate.dashboard.http.EventStreamHandler;
import dev.substrate.dashboard.http.MetricsHandler;
import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.vectors.VectorStoreException;
import dev.substrate.vectors.http.GuardedJettyServer;
import dev.substrate.vectors.http.SearchApi;
import dev.substrate.vectors.http.SearchHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.util.Objects;
import javax.annotation.Nullable;
import org.eclipse.jetty.server.Handler;

/**
 * The dashboard's web server (Jetty 12): the page and its assets, {@code /events} (live updates),
 * {@code /api/search} and {@code /metrics}, on 127.0.0.1 unless told otherwise. Bound to any other
 * address it refuses to start without a token (from the environment variable {@value #TOKEN_ENV}),
 * which every request must then carry (see {@link AccessGuard}).
 *
 * <pre>{@code
 * try (DashboardServer server = DashboardServer.builder().hub(hub).metrics(registry).build().start()) {
 *     System.out.println(server.url()); // http://127.0.0.1:8088/
 * }
 * }</pre>
 */
public final class DashboardServer implements AutoCloseable {

    /** The environment variable holding the token for a non-loopback bind. */
    public static final String TOKEN_ENV = "SUBSTRATE_DASHBOARD_TOKEN";

    /** The default port. */
    public static final int DEFAULT_PORT = 8088;

    private final GuardedJettyServer server;
    private final EventStreamHandler events;

    private DashboardServer(Builder builder) {
        this.events = new EventStreamHandler(builder.hub);
        SearchApi search =
                builder.search != null
                        ? builder.search
                        : new SearchApi(
                                () -> {
                                    throw new VectorStoreException(
                                            "Search is not configured on this dashboard: start it"
                                                    + " with --vectors-path (the job's"
                                                    + " vectors.path)");
                                });
        Handler.Sequence routes =
                new Handler.Sequence(
                        new AssetHandler(),
                        events,
                        // The guard checks the token: the search handler needs none of its own.
                        new SearchHandler(search, null),
                        new MetricsHandler(builder.metrics));
        this.server =
                GuardedJettyServer.create(
                        "the dashboard",
                        "--dashboard-port",
                        builder.host,
                        builder.port,
                        16,
                        new AccessGuard(builder.token, routes));
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts listening.
     *
     * @throws IllegalStateException when the port is taken, naming it and the option to change
     */
    public DashboardServer start() {
        server.start();
        return this;
    }

    /** The port it listens on (the chosen one when built with port 0). */
    public int port() {
        return server.port();
    }

    /** {@code http://<host>:<port>/}. */
    public URI url() {
        return server.url("/");
    }

    /** Browsers connected to {@code /events} now. */
    public int browsers() {
        return events.streamCount();
    }

    @Override
    public void close() {
        events.close();
        server.close();
    }

    /** Builds a {@link DashboardServer}; the hub and the metrics registry are required. */
    public static final class Builder {
        private UpdateHub hub;
        private PrometheusRegistry metrics;
        @Nullable private SearchApi search;
        private String host = "127.0.0.1";
        private int port = DEFAULT_PORT;
        @Nullable private String token;

        private Builder() {}

        /** Where the live updates come from. */
        public Builder hub(UpdateHub hub) {
            this.hub = hub;
            return this;
        }

        /** What {@code /metrics} serves. */
        public Builder metrics(PrometheusRegistry metrics) {
            this.metrics = metrics;
            return this;
        }

        /** What {@code /api/search} answers with; without, it answers 503 saying how to set it. */
        public Builder search(@Nullable SearchApi search) {
            this.search = search;
            return this;
        }

        /** The address to bind (default 127.0.0.1). */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The port (default {@value DashboardServer#DEFAULT_PORT}; 0 for any free port). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The token requests must carry; required for a non-loopback host. */
        public Builder token(@Nullable String token) {
            this.token = token == null || token.isEmpty() ? null : token;
            return this;
        }

        /**
         * @throws IllegalArgumentException for a non-loopback host without a token, naming {@value
         *     DashboardServer#TOKEN_ENV}
         */
        public DashboardServer build() {
            Objects.requireNonNull(hub, "hub");
            Objects.requireNonNull(metrics, "metrics");
            GuardedJettyServer.checkBind("the dashboard", host, port, token, TOKEN_ENV);
            return new DashboardServer(this);
        }
    }
}
