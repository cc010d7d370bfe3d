package dev.substrate.sinks.lake;

import java.io.Closeable;
import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.avro.AvroSchemaUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the lake tables if absent, in namespace {@value #NAMESPACE}, partitioned by {@code
 * day(timestampField)} and {@code identity(partitionField)}, Iceberg format version 2.
 *
 * <p>Safe when several jobs or threads race to create the same table: the loser of the race loads
 * the winner's table. A table created from an older Avro schema gains the newer schema's columns
 * (as optional columns); nothing is ever dropped or narrowed.
 */
public final class LakeTables {

    /** The Iceberg namespace of every Substrate table. */
    public static final String NAMESPACE = "substrate";

    private static final Logger LOG = LoggerFactory.getLogger(LakeTables.class);
    private static final String ADJUST_TO_UTC = "adjust-to-utc";
    private static final int SCHEMA_UPDATE_ATTEMPTS = 5;

    private static final Map<String, String> TABLE_PROPERTIES =
            Map.of(
                    TableProperties.FORMAT_VERSION, "2",
                    // Every checkpoint commits a metadata file; keep the history bounded.
                    TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
                    TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "100");

    private LakeTables() {}

    /** The identifier of a lake table: {@code substrate.<name>}. */
    public static TableIdentifier identifier(String tableName) {
        return TableIdentifier.of(Namespace.of(NAMESPACE), tableName);
    }

    /** Loads the table described by {@code spec}, creating it (and the namespace) if absent. */
    public static Table ensureTable(Catalog catalog, LakeTableSpec spec) {
        ensureNamespace(catalog);
        TableIdentifier id = identifier(spec.name());
        Schema schema = icebergSchema(spec.avroSchema());
        PartitionSpec partitionSpec = partitionSpec(schema, spec);
        Table table;
        try {
            table = catalog.loadTable(id);
        } catch (NoSuchTableException absent) {
            table = create(catalog, id, schema, partitionSpec);
        }
        if (!describe(table.spec(), table.schema()).equals(describe(partitionSpec, schema))) {
            // An operator may have evolved the spec on purpose: respect it, but say so.
            LOG.info(
                    "Lake table {} is partitioned by {}, not by the default {}; keeping it",
                    id,
                    describe(table.spec(), table.schema()),
                    describe(partitionSpec, schema));
        }
        return addMissingColumns(table, schema);
    }

    /**
     * Gives a table without snapshots its {@code main} branch, pointing at an empty snapshot. The
     * dynamic sink's writers otherwise create the branch themselves on their first record, and two
     * subtasks doing so at once fail the job with "Ref main already exists". Safe to call from
     * several clients at once.
     */
    public static Table ensureMainBranch(Table table) {
        if (table.refs().containsKey(SnapshotRef.MAIN_BRANCH)) {
            return table;
        }
        try {
            table.manageSnapshots().createBranch(SnapshotRef.MAIN_BRANCH).commit();
        } catch (IllegalArgumentException | CommitFailedException e) {
            // Another client created it first: fine, as long as it is there now.
            table.refresh();
            if (!table.refs().containsKey(SnapshotRef.MAIN_BRANCH)) {
                throw e;
            }
        }
        return table;
    }

    /**
     * The Iceberg schema of an Avro record schema: column names are the Avro field names, a column
     * is optional exactly when the Avro field is a union with null, enums become strings and {@code
     * timestamp-millis}/{@code -micros} become {@code timestamptz} (Avro timestamps are instants,
     * not wall-clock times).
     */
    public static Schema icebergSchema(org.apache.avro.Schema avroSchema) {
        // Iceberg bundles a shaded Avro: hand it a private copy, which is also safe to annotate.
        org.apache.iceberg.shaded.org.apache.avro.Schema copy =
                new org.apache.iceberg.shaded.org.apache.avro.Schema.Parser()
                        .parse(avroSchema.toString());
        markTimestampsUtc(copy, Collections.newSetFromMap(new IdentityHashMap<>()));
        return AvroSchemaUtil.toIceberg(copy);
    }

    /** {@code day(timestampField)} then {@code identity(partitionField)}. */
    public static PartitionSpec partitionSpec(Schema schema, LakeTableSpec spec) {
        Types.NestedField ts = schema.findField(spec.timestampField());
        if (ts == null || ts.type().typeId() != Type.TypeID.TIMESTAMP) {
            throw new IllegalArgumentException(
                    "Lake table "
                            + spec.name()
                            + ": timestampField '"
                            + spec.timestampField()
                            + "' must be a timestamp-millis or timestamp-micros field, is "
                            + (ts == null ? "missing" : ts.type()));
        }
        Types.NestedField key = schema.findField(spec.partitionField());
        if (key == null || !key.type().isPrimitiveType()) {
            throw new IllegalArgumentException(
                    "Lake table "
                            + spec.name()
                            + ": partitionField '"
                            + spec.partitionField()
                            + "' must be a primitive field, is "
                            + (key == null ? "missing" : key.type()));
        }
        return PartitionSpec.builderFor(schema)
                .day(spec.timestampField())
                .identity(spec.partitionField())
                .build();
    }

    /** Closes {@code catalog} if it holds resources; a failure is logged, not thrown. */
    public static void close(Catalog catalog) {
        if (catalog instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException e) {
                LOG.warn("Could not close catalog {}", catalog.name(), e);
            }
        }
    }

    /** Creates the lake's namespace in {@code catalog} unless it exists (or has no namespaces). */
    public static void ensureNamespace(Catalog catalog) {
        if (!(catalog instanceof SupportsNamespaces namespaces)) {
            return;
        }
        Namespace ns = Namespace.of(NAMESPACE);
        if (namespaces.namespaceExists(ns)) {
            return;
        }
        try {
            namespaces.createNamespace(ns);
            LOG.info("Created lake namespace {} in catalog {}", ns, catalog.name());
        } catch (AlreadyExistsException raced) {
            // Another job created it between our check and our create: that is the goal.
        }
    }

    private static Table create(
            Catalog catalog, TableIdentifier id, Schema schema, PartitionSpec partitionSpec) {
        try {
            Table table =
                    catalog.buildTable(id, schema)
                            .withPartitionSpec(partitionSpec)
                            .withProperties(TABLE_PROPERTIES)
                            .create();
            LOG.info("Created lake table {} partitioned by {}", id, table.spec());
            return table;
        } catch (AlreadyExistsException raced) {
            return catalog.loadTable(id);
        }
    }

    private static Table addMissingColumns(Table table, Schema wanted) {
        for (int attempt = 1; ; attempt++) {
            if (hasAllColumns(table.schema(), wanted)) {
                return table;
            }
            try {
                table.updateSchema().unionByNameWith(wanted).commit();
                LOG.info(
                        "Lake table {} gained columns, schema now {}",
                        table.name(),
                        table.schema());
                return table;
            } catch (CommitFailedException concurrent) {
                if (attempt >= SCHEMA_UPDATE_ATTEMPTS) {
                    throw concurrent;
                }
                table.refresh();
            }
        }
    }

    private static List<String> describe(PartitionSpec spec, Schema schema) {
        // Field ids differ between a requested and a created schema: compare by column name.
        return spec.fields().stream()
                .map(f -> f.transform() + "(" + schema.findColumnName(f.sourceId()) + ")")
                .toList();
    }

    private static boolean hasAllColumns(Schema actual, Schema wanted) {
        return wanted.columns().stream().allMatch(c -> actual.findField(c.name()) != null);
    }

    private static void markTimestampsUtc(
            org.apache.iceberg.shaded.org.apache.avro.Schema schema,
            Set<org.apache.iceberg.shaded.org.apache.avro.Schema> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.add(schema)) {
                    schema.getFields().forEach(f -> markTimestampsUtc(f.schema(), seen));
                }
            }
            case UNION -> schema.getTypes().forEach(s -> markTimestampsUtc(s, seen));
            case ARRAY -> markTimestampsUtc(schema.getElementType(), seen);
            case MAP -> markTimestampsUtc(schema.getValueType(), seen);
            case LONG -> {
                String logical =
                        schema.getLogicalType() == null ? null : schema.getLogicalType().getName();
                if (("timestamp-millis".equals(logical) || "timestamp-micros".equals(logical))
                        && schema.getObjectProp(ADJUST_TO_UTC) == null) {
                    schema.addProp(ADJUST_TO_UTC, true);
                }
            }
            default -> {}
        }
    }
}
