package dev.substrate.sinks.lake;

import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import javax.annotation.Nullable;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.rest.auth.OAuth2Properties;

/**
 * Which Iceberg catalog the lake tables live in: a typed, serializable description that turns into
 * an Iceberg {@link CatalogLoader} on the client and in every task.
 *
 * <p>Catalog types:
 *
 * <ul>
 *   <li>{@code hadoop} (the job's default): a {@code HadoopCatalog} on a warehouse directory. Needs
 *       {@code catalog.warehouse}. Fine for one writer on a local file system only.
 *   <li>{@code jdbc}: a {@code JdbcCatalog}; needs {@code catalog.uri} (for example {@code
 *       jdbc:postgresql://db/lake}) and {@code catalog.warehouse}. The local run uses it on an
 *       SQLite file in its data directory ({@link #sqlite(Path, Path)}).
 *   <li>{@code rest}: an Iceberg REST catalog (Polaris, Nessie, Gravitino, Lakekeeper); needs
 *       {@code catalog.uri}; {@code catalog.warehouse} is optional (some servers call it the
 *       catalog name).
 * </ul>
 *
 * <p>Keys read by {@link #fromProperties(Map)}; keys without the {@code catalog.} prefix are
 * ignored, so a whole job configuration can be passed in:
 *
 * <table>
 *   <caption>catalog keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code catalog.type}</td><td>{@code hadoop}</td><td>hadoop, jdbc or rest</td></tr>
 *   <tr><td>{@code catalog.name}</td><td>{@code substrate}</td><td>catalog name (metrics, logs)</td></tr>
 *   <tr><td>{@code catalog.warehouse}</td><td>none</td><td>warehouse location</td></tr>
 *   <tr><td>{@code catalog.uri}</td><td>none</td><td>JDBC URL or REST endpoint</td></tr>
 *   <tr><td>{@code catalog.<any>}</td><td></td><td>passed to the Iceberg catalog as {@code <any>},
 *       e.g. {@code catalog.io-impl}, {@code catalog.s3.endpoint}, {@code catalog.jdbc.user}</td></tr>
 * </table>
 *
 * <p>Secrets never belong in property files. They come from the environment:
 *
 * <ul>
 *   <li>{@value #ENV_REST_CREDENTIAL}: OAuth2 client credential {@code client_id:client_secret}
 *       (Iceberg property {@code credential}), rest only;
 *   <li>{@value #ENV_REST_TOKEN}: a bearer token (Iceberg property {@code token}), rest only;
 *   <li>{@value #ENV_JDBC_PASSWORD}: the database password (Iceberg property {@code
 *       jdbc.password}), jdbc only.
 * </ul>
 *
 * <p>Precedence, lowest first: built-in defaults (for jdbc {@code jdbc.schema-version=V1}), then
 * {@code catalog.<any>} passthrough keys, then the typed keys {@code catalog.warehouse} and {@code
 * catalog.uri}, then the environment variables above. {@link #toString()} masks every secret.
 */
public final class LakeCatalogConfig implements Serializable {

    @Serial private static final long serialVersionUID = 1L;

    /** The catalog implementations the lake supports. */
    public enum Type {
        HADOOP,
        JDBC,
        REST
    }

    public static final String PREFIX = "catalog.";
    public static final String TYPE = "catalog.type";
    public static final String NAME = "catalog.name";
    public static final String WAREHOUSE = "catalog.warehouse";
    public static final String URI = "catalog.uri";

    public static final String ENV_REST_CREDENTIAL = "SUBSTRATE_CATALOG_CREDENTIAL";
    public static final String ENV_REST_TOKEN = "SUBSTRATE_CATALOG_TOKEN";
    public static final String ENV_JDBC_PASSWORD = "SUBSTRATE_CATALOG_JDBC_PASSWORD";

    public static final String DEFAULT_NAME = "substrate";

    /** How a JDBC URL on an SQLite database file starts. */
    public static final String SQLITE_URL_PREFIX = "jdbc:sqlite:";

    /** The SQLite driver's connection property: how long to wait for a lock held elsewhere. */
    static final String SQLITE_BUSY_TIMEOUT = "jdbc.busy_timeout";

    static final int SQLITE_BUSY_TIMEOUT_MS = 30_000;

    /** The Hadoop key naming the file system class of {@code file:} paths. */
    static final String LOCAL_FILE_SYSTEM_KEY = "fs.file.impl";

    private static final String JDBC_CATALOG_IMPL = JobJarJdbcCatalog.class.getName();
    private static final String REST_CATALOG_IMPL = "org.apache.iceberg.rest.RESTCatalog";
    private static final String JDBC_PASSWORD = "jdbc.password";
    private static final Set<String> SECRET_WORDS =
            Set.of("password", "secret", "token", "credential", "key");

    private final Type type;
    private final String name;
    // Iceberg catalog properties, secrets included: never log this map, use toString().
    private final Map<String, String> properties;

    private LakeCatalogConfig(Type type, String name, Map<String, String> properties) {
        this.type = Objects.requireNonNull(type, "type");
        this.name = Objects.requireNonNull(name, "name");
        this.properties = Collections.unmodifiableMap(new TreeMap<>(properties));
        validate();
    }

    /** The local default: a Hadoop catalog on a directory of the local file system. */
    public static LakeCatalogConfig hadoop(Path warehouse) {
        return new LakeCatalogConfig(
                Type.HADOOP,
                DEFAULT_NAME,
                Map.of(
                        CatalogProperties.WAREHOUSE_LOCATION,
                        warehouse.toAbsolutePath().normalize().toString()));
    }

    /**
     * The local default: Iceberg's JDBC catalog on an embedded SQLite database file, its tables in
     * {@code warehouse}. Commits are atomic (a conditional update of the table's row), across
     * threads and processes, without the Hadoop catalog's in-JVM lock; a connection that finds the
     * database busy waits up to {@value #SQLITE_BUSY_TIMEOUT_MS} ms instead of failing.
     */
    public static LakeCatalogConfig sqlite(Path database, Path warehouse) {
        return fromProperties(
                Map.of(
                        TYPE,
                        "jdbc",
                        URI,
                        SQLITE_URL_PREFIX + database.toAbsolutePath().normalize(),
                        WAREHOUSE,
                        warehouse.toAbsolutePath().normalize().toString(),
                        PREFIX + SQLITE_BUSY_TIMEOUT,
                        String.valueOf(SQLITE_BUSY_TIMEOUT_MS)),
                Map.of());
    }

    /** A JDBC catalog, for example on {@code jdbc:sqlite:/data/catalog.db}; no credentials. */
    public static LakeCatalogConfig jdbc(String uri, String warehouse) {
        return fromProperties(Map.of(TYPE, "jdbc", URI, uri, WAREHOUSE, warehouse), Map.of());
    }

    /** Reads the {@code catalog.*} keys (see the class Javadoc) and the process environment. */
    public static LakeCatalogConfig fromProperties(Map<String, String> properties) {
        return fromProperties(properties, System.getenv());
    }

    /**
     * Reads the {@code catalog.*} keys (see the class Javadoc); secrets are taken from {@code
     * environment} instead of the process environment.
     */
    public static LakeCatalogConfig fromProperties(
            Map<String, String> properties, Map<String, String> environment) {
        Type type = parseType(properties.getOrDefault(TYPE, "hadoop"));
        String name = nonBlank(properties.get(NAME));
        Map<String, String> catalogProps = new LinkedHashMap<>();
        if (type == Type.JDBC) {
            catalogProps.put("jdbc.schema-version", "V1");
        }
        properties.forEach(
                (key, value) -> {
                    if (key.startsWith(PREFIX) && !key.equals(TYPE) && !key.equals(NAME)) {
                        catalogProps.put(key.substring(PREFIX.length()), value);
                    }
                });
        // The typed keys were copied above as warehouse/uri; a blank value means "not set".
        catalogProps.values().removeIf(v -> v == null || v.isBlank());
        switch (type) {
            case REST -> {
                putIfSet(
                        catalogProps,
                        OAuth2Properties.CREDENTIAL,
                        environment,
                        ENV_REST_CREDENTIAL);
                putIfSet(catalogProps, OAuth2Properties.TOKEN, environment, ENV_REST_TOKEN);
            }
            case JDBC -> putIfSet(catalogProps, JDBC_PASSWORD, environment, ENV_JDBC_PASSWORD);
            case HADOOP -> {}
        }
        return new LakeCatalogConfig(type, name == null ? DEFAULT_NAME : name, catalogProps);
    }

    public Type type() {
        return type;
    }

    public String name() {
        return name;
    }

    @Nullable
    public String warehouse() {
        return properties.get(CatalogProperties.WAREHOUSE_LOCATION);
    }

    @Nullable
    public String uri() {
        return properties.get(CatalogProperties.URI);
    }

    /** The Iceberg catalog properties, secrets included: pass them on, never log them. */
    public Map<String, String> properties() {
        return properties;
    }

    /**
     * The JDBC connection properties among the catalog properties ({@code jdbc.*}, password
     * included: pass them on, never log them), for another connection to the same database.
     */
    public Map<String, String> jdbcProperties() {
        Map<String, String> jdbc = new TreeMap<>();
        properties.forEach(
                (key, value) -> {
                    if (key.startsWith("jdbc.")) {
                        jdbc.put(key, value);
                    }
                });
        return jdbc;
    }

    /** A serializable loader for this catalog, for the Iceberg Flink sink and its committer. */
    public CatalogLoader catalogLoader() {
        Configuration hadoopConf = new Configuration();
        // file: warehouses without a chmod fork and a .crc file per data file.
        hadoopConf.set(LOCAL_FILE_SYSTEM_KEY, LocalWarehouseFileSystem.class.getName());
        return switch (type) {
            case HADOOP -> CatalogLoader.hadoop(name, hadoopConf, properties);
            case JDBC -> CatalogLoader.custom(name, properties, hadoopConf, JDBC_CATALOG_IMPL);
            // Same catalog as CatalogLoader.rest(), but that loader's toString() prints every
            // property, the credential included, wherever a TableLoader gets logged.
            case REST -> CatalogLoader.custom(name, properties, hadoopConf, REST_CATALOG_IMPL);
        };
    }

    /** Opens the catalog now (tests, table creation at job build time, the local-run summary). */
    public Catalog loadCatalog() {
        return catalogLoader().loadCatalog();
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        properties.forEach((k, v) -> shown.put(k, isSecret(k) ? "****" : v));
        return "LakeCatalogConfig{type="
                + type.name().toLowerCase(Locale.ROOT)
                + ", name="
                + name
                + ", properties="
                + shown
                + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LakeCatalogConfig other
                && type == other.type
                && name.equals(other.name)
                && properties.equals(other.properties);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, name, properties);
    }

    static boolean isSecret(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        return SECRET_WORDS.stream().anyMatch(lower::contains);
    }

    private void validate() {
        switch (type) {
            case HADOOP -> require(warehouse(), WAREHOUSE, "the warehouse directory");
            case JDBC -> {
                require(uri(), URI, "the JDBC URL, e.g. jdbc:sqlite:/data/catalog.db");
                require(warehouse(), WAREHOUSE, "the warehouse location");
            }
            case REST ->
                    require(uri(), URI, "the REST catalog endpoint, e.g. http://127.0.0.1:8181");
        }
    }

    private void require(@Nullable String value, String key, String what) {
        if (value == null) {
            throw new IllegalArgumentException(
                    "Catalog type "
                            + type.name().toLowerCase(Locale.ROOT)
                            + " needs "
                            + key
                            + " ("
                            + what
                            + ")");
        }
    }

    private static Type parseType(String value) {
        try {
            return Type.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    TYPE + " must be one of hadoop, jdbc, rest; got '" + value + "'", e);
        }
    }

    private static void putIfSet(
            Map<String, String> target, String key, Map<String, String> env, String envName) {
        String value = nonBlank(env.get(envName));
        if (value != null) {
            target.put(key, value);
        }
    }

    @Nullable
    private static String nonBlank(@Nullable String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
