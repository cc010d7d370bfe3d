package dev.substrate.vectors.http;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import javax.annotation.Nullable;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * What Substrate's small Jetty servers share ({@link SearchHttpServer}, the dashboard's): one
 * connector on 127.0.0.1 unless told otherwise, a refusal to bind anywhere else without a token,
 * and errors that name the port option to change.
 */
public final class GuardedJettyServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;
    private final String host;
    private final String what;
    private final String portOption;

    /**
     * @param what what it serves, for messages ("/api/search", "the dashboard")
     * @param portOption the option that sets the port, named when the port is taken
     * @param threads at most this many request threads (they also name the pool)
     */
    GuardedJettyServer(
            String what, String portOption, String host, int port, int threads, Handler handler) {
        QueuedThreadPool pool = new QueuedThreadPool(threads, 2);
        pool.setName(what.replaceAll("[^A-Za-z]+", "-").replaceAll("^-|-$", "") + "-http");
        pool.setDaemon(true);
        this.server = new Server(pool);
        this.connector = new ServerConnector(server, 1, 1);
        this.host = host;
        this.what = what;
        this.portOption = portOption;
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(handler);
        server.setStopAtShutdown(false);
    }

    /** A server for {@code handler}, once the bind is checked (see {@link #checkBind}). */
    public static GuardedJettyServer create(
            String what, String portOption, String host, int port, int threads, Handler handler) {
        return new GuardedJettyServer(what, portOption, host, port, threads, handler);
    }

    /**
     * Refuses a port out of range, and a non-loopback {@code host} without a token.
     *
     * @param tokenEnv the environment variable the token comes from, named in the error
     * @throws IllegalArgumentException naming the address and the fix
     */
    public static void checkBind(
            String what, String host, int port, @Nullable String token, String tokenEnv) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(
                    "The port for " + what + " must be 0-65535, not " + port);
        }
        if (token == null && !isLoopback(host, what)) {
            throw new IllegalArgumentException(
                    "Refusing to serve "
                            + what
                            + " on "
                            + host
                            + " without a token: set "
                            + tokenEnv
                            + " (every request must then carry it), or bind to 127.0.0.1");
        }
    }

    private static boolean isLoopback(String host, String what) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("Unknown host '" + host + "' for " + what, e);
        }
    }

    /**
     * Starts listening.
     *
     * @throws IllegalStateException when the port is taken, naming it and the option to change
     */
    public void start() {
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // nothing started
            }
            throw new IllegalStateException(
                    "Cannot serve "
                            + what
                            + " on "
                            + host
                            + ":"
                            + connector.getPort()
                            + " ("
                            + e.getMessage()
                            + "): choose another port ("
                            + portOption
                            + ", 0 for any free one)",
                    e);
        }
    }

    /** The port it listens on (the chosen one when built with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://<host>:<port>} followed by {@code path}. */
    public URI url(String path) {
        return URI.create("http://" + host + ":" + port() + path);
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot stop the server of " + what, e);
        }
    }
}
