package dev.substrate.local;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;

/**
 * The lake of a local run's data directory: Iceberg's JDBC catalog on the SQLite database {@value
 * #CATALOG_DB}, its tables under {@value #WAREHOUSE}/. Any engine with Iceberg's JDBC catalog and
 * an SQLite driver reads it (Spark: see the README).
 *
 * <p>Data directories of earlier versions kept their tables in a Hadoop catalog (a {@code
 * version-hint.text} beside each table's metadata). {@link #migrateHadoopTables} registers each
 * such table's current metadata file in the JDBC catalog, in place: no data file moves, and the
 * table's history comes along.
 */
public final class LocalLake {

    /** The SQLite database holding the catalog, in the data directory. */
    public static final String CATALOG_DB = "catalog.db";

    /** The directory of the tables' data and metadata files, in the data directory. */
    public static final String WAREHOUSE = "warehouse";

    private static final String HADOOP_VERSION_HINT = "version-hint.text";

    private LocalLake() {}

    /** The catalog of the lake in {@code dataDir}. */
    public static LakeCatalogConfig catalog(Path dataDir) {
        return LakeCatalogConfig.sqlite(dataDir.resolve(CATALOG_DB), dataDir.resolve(WAREHOUSE));
    }

    /** The job options ({@code catalog.*}) naming the lake in {@code dataDir}. */
    public static Map<String, String> options(Path dataDir) {
        LakeCatalogConfig catalog = catalog(dataDir);
        Map<String, String> options = new LinkedHashMap<>();
        options.put(SubstrateOptions.CATALOG_TYPE.key(), "jdbc");
        catalog.properties()
                .forEach((key, value) -> options.put(LakeCatalogConfig.PREFIX + key, value));
        return options;
    }

    /**
     * Registers in the JDBC catalog every table of a Hadoop-catalog warehouse in {@code dataDir}
     * that the catalog does not hold yet, at its current version (the one {@code version-hint.text}
     * names).
     *
     * @return the tables registered now; empty when there was nothing to migrate
     */
    public static List<TableIdentifier> migrateHadoopTables(Path dataDir) {
        Path namespaceDir = dataDir.resolve(WAREHOUSE).resolve(LakeTables.NAMESPACE);
        if (!Files.isDirectory(namespaceDir)) {
            return List.of();
        }
        List<TableIdentifier> registered = new ArrayList<>();
        Catalog catalog = catalog(dataDir).loadCatalog();
        try (Stream<Path> tables = Files.list(namespaceDir)) {
            for (Path tableDir : tables.sorted().toList()) {
                Path hint = tableDir.resolve("metadata").resolve(HADOOP_VERSION_HINT);
                if (!Files.isRegularFile(hint)) {
                    continue;
                }
                TableIdentifier id = LakeTables.identifier(tableDir.getFileName().toString());
                if (catalog.tableExists(id)) {
                    continue;
                }
                Path metadata = currentHadoopMetadata(hint);
                LakeTables.ensureNamespace(catalog);
                try {
                    catalog.registerTable(id, metadata.toUri().toString());
                    registered.add(id);
                } catch (AlreadyExistsException raced) {
                    // registered meanwhile by another process: nothing left to do
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the warehouse " + namespaceDir, e);
        } finally {
            LakeTables.close(catalog);
        }
        return registered;
    }

    /** The metadata file a Hadoop table's {@code version-hint.text} points at. */
    private static Path currentHadoopMetadata(Path hint) throws IOException {
        String version = Files.readString(hint, StandardCharsets.UTF_8).trim();
        Path metadata = hint.resolveSibling("v" + version + ".metadata.json");
        if (!version.matches("\\d+") || !Files.isRegularFile(metadata)) {
            throw new LocalRunException(
                    "Cannot migrate the Hadoop-catalog table in "
                            + hint.getParent().getParent()
                            + ": its "
                            + HADOOP_VERSION_HINT
                            + " says version '"
                            + version
                            + "', and "
                            + metadata.getFileName()
                            + " is not there. Fix: write the number of the newest"
                            + " v<N>.metadata.json of that directory into "
                            + hint
                            + ", then run again.");
        }
        return metadata.toAbsolutePath().normalize();
    }
}
