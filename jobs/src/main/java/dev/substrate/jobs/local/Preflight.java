package dev.substrate.jobs.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Checks a local run's configuration before anything starts, with an error that says the fix. */
public final class Preflight {

    private Preflight() {}

    /** The data directory exists (or can be made) and can be written. */
    public static void checkDataDir(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            Path probe = Files.createTempFile(dataDir, ".write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new LocalRunException(
                    "The data directory "
                            + dataDir.toAbsolutePath()
                            + " cannot be written ("
                            + e.getMessage()
                            + "). Fix: choose another with --data-dir, or make it writable.",
                    e);
        }
    }

    /** Nothing listens on {@code 127.0.0.1:port} (port 0 means any free port, always fine). */
    public static void checkPortFree(int port, String what, String option) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
        } catch (IOException e) {
            throw new LocalRunException(
                    "Port "
                            + port
                            + " for the "
                            + what
                            + " is already in use. Fix: stop what uses it, or pass "
                            + option
                            + " with another port (0 picks a free one).");
        }
    }

    /** An external Kafka answers within {@code timeout}. */
    public static void checkKafkaReachable(String bootstrapServers, Duration timeout) {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrapServers,
                                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                                (int) timeout.toMillis(),
                                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                                (int) timeout.toMillis()))) {
            admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new LocalRunException(
                    "Kafka at "
                            + bootstrapServers
                            + " did not answer within "
                            + timeout.toSeconds()
                            + " s. Fix: check the address given to --kafka and that the broker"
                            + " runs, or leave --kafka out to use the embedded broker.",
                    e);
        }
    }
}
