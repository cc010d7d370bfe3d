package dev.substrate.local;

import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTables;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
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

    /**
     * The lake's tables live in this data directory. Iceberg keeps absolute paths in its metadata,
     * so a copied data directory's tables still point at the original's files, and new files would
     * land there.
     */
    public static void checkWarehouseBelongsHere(LakeCatalogConfig lake, Path dataDir) {
        Path warehouse = dataDir.resolve("warehouse").toAbsolutePath().normalize();
        if (!Files.isDirectory(warehouse)) {
            return;
        }
        Catalog catalog = lake.catalogLoader().loadCatalog();
        try {
            for (TableIdentifier id :
                    catalog.listTables(
                            org.apache.iceberg.catalog.Namespace.of(LakeTables.NAMESPACE))) {
                String location;
                try {
                    location = catalog.loadTable(id).location();
                } catch (org.apache.iceberg.exceptions.NotFoundException
                        | org.apache.iceberg.exceptions.RuntimeIOException gone) {
                    throw new LocalRunException(
                            "Lake table "
                                    + id
                                    + " cannot be read: its metadata file is gone ("
                                    + gone.getMessage()
                                    + "). The catalog in this data directory names files by"
                                    + " absolute path, so a copied or moved directory points at"
                                    + " the original's. Fix: run from the original directory,"
                                    + " or start with a new --data-dir.",
                            gone);
                }
                Path tablePath =
                        Path.of(
                                URI.create(
                                        location.startsWith("/") ? "file:" + location : location));
                if (!tablePath.toAbsolutePath().normalize().startsWith(warehouse)) {
                    throw new LocalRunException(
                            "Lake table "
                                    + id
                                    + " lives at "
                                    + location
                                    + ", outside this data directory's warehouse ("
                                    + warehouse
                                    + "): the data directory was copied or moved, and Iceberg"
                                    + " tables keep absolute paths, so this run would write into"
                                    + " the original. Fix: run from the original directory, or"
                                    + " start with a new --data-dir.");
                }
            }
        } catch (org.apache.iceberg.exceptions.NoSuchNamespaceException noLakeYet) {
            // a fresh warehouse: nothing to check
        } finally {
            if (catalog instanceof java.io.Closeable closeable) {
                try {
                    closeable.close();
                } catch (IOException e) {
                    // the catalog was only read
                }
            }
        }
    }
}
