package dev.substrate.sinks.lake;

import dev.substrate.schemas.registry.RegisteredSchema;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.io.Closeable;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.annotation.Nullable;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.flink.sink.dynamic.DynamicIcebergSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends a stream of Avro records to a lake table whose columns follow the schema versions its
 * producers have registered, while the job runs: Iceberg's dynamic sink with a generator that
 * writes each record with the table layout of the subject's latest registered version.
 *
 * <pre>
 *  T ─► generator: project the record onto the fields of the registry's latest version ─►
 *       DynamicIcebergSink: compare with the table ─┬─ same / older layout ─► write (missing → null)
 *                                                   └─ newer layout ─► updater adds the columns,
 *                                                                      then write
 * </pre>
 *
 * <p>When the job is built, the table is created (or checked) with the columns of the subject's
 * latest registered version — not the job's own newer class — so a fleet still on v1 gets a v1
 * table. The generator re-reads the latest version every {@code refresh}, and at once when a record
 * carries a value for a field the table has no column for (a producer already on a newer version):
 * the table then gains the new columns (as optional columns; older rows read null) before that
 * record is written. Columns are never dropped, renamed or narrowed; see {@link
 * LakeSchemaEvolution} for what is allowed and what fails the build. Fields the pipeline itself
 * fills in (such as {@code quality_tags}) are always columns.
 *
 * <p>Commits happen on checkpoints, exactly once, as with {@link IcebergLakeSink}. Operator uids
 * start with {@code lake-<name>}.
 */
public final class EvolvingLakeSink {

    private static final Logger LOG = LoggerFactory.getLogger(EvolvingLakeSink.class);

    private EvolvingLakeSink() {}

    /** Where the sink learns which schema versions producers use. */
    public record SchemaSource(
            SchemaRegistryConfig registry,
            String subject,
            Set<String> pipelineFields,
            Duration refresh)
            implements Serializable {
        @Serial private static final long serialVersionUID = 1L;

        public SchemaSource {
            Objects.requireNonNull(registry, "registry");
            Objects.requireNonNull(subject, "subject");
            pipelineFields = Set.copyOf(pipelineFields);
            if (refresh.isNegative() || refresh.isZero()) {
                throw new IllegalArgumentException("refresh must be positive: " + refresh);
            }
        }
    }

    /**
     * Adds the generator, the dynamic Iceberg sink and its updater behind {@code stream}, creating
     * or checking the table first.
     *
     * @param spec the table; its Avro schema is the record class's (the reader) schema
     * @throws LakeSchemaChangeException when the existing table cannot follow the schema
     */
    public static <T extends SpecificRecordBase> DataStreamSink<?> append(
            DataStream<T> stream,
            Class<T> recordClass,
            LakeCatalogConfig catalog,
            LakeTableSpec spec,
            SchemaSource schemas) {
        Schema reader = SpecificData.getForClass(recordClass).getSchema(recordClass);
        if (!reader.equals(spec.avroSchema())) {
            throw new IllegalArgumentException(
                    "Lake table " + spec.name() + ": the spec's schema is not " + recordClass);
        }
        Catalog opened = catalog.catalogLoader().loadCatalog();
        List<String> columns;
        try {
            Table existing = null;
            try {
                existing = opened.loadTable(LakeTables.identifier(spec.name()));
            } catch (NoSuchTableException absent) {
                // created below
            }
            columns =
                    initialColumns(
                            reader,
                            registeredFields(schemas),
                            schemas.pipelineFields(),
                            existing == null ? Set.of() : columnNames(existing));
            Schema projected = project(reader, columns);
            if (existing != null) {
                List<String> changes =
                        LakeSchemaEvolution.plan(
                                spec.name(),
                                existing.schema(),
                                LakeTables.icebergSchema(projected),
                                reader);
                if (!changes.isEmpty()) {
                    LOG.info("Lake table {} evolves: {}", spec.name(), changes);
                }
            }
            LakeTables.ensureMainBranch(
                    LakeTables.ensureTable(
                            opened,
                            new LakeTableSpec(
                                    spec.name(),
                                    projected,
                                    spec.timestampField(),
                                    spec.partitionField())));
        } finally {
            close(opened);
        }
        int parallelism =
                stream.getParallelism() > 0
                        ? stream.getParallelism()
                        : stream.getExecutionEnvironment().getParallelism();
        return DynamicIcebergSink.forInput(stream)
                .generator(new ProjectingRecordGenerator<>(recordClass, spec, columns, schemas))
                .catalogLoader(catalog.catalogLoader())
                .writeParallelism(parallelism)
                .immediateTableUpdate(false)
                .uidPrefix(IcebergLakeSink.uid(spec.name()))
                .append();
    }

    /** The fields of the subject's latest registered version, or null when unknown. */
    @Nullable
    static Set<String> registeredFields(SchemaSource schemas) {
        try (SchemaRegistryClient client = new SchemaRegistryClient(schemas.registry())) {
            RegisteredSchema latest = client.getLatest(schemas.subject());
            Set<String> names = new LinkedHashSet<>();
            latest.schema().getFields().forEach(f -> names.add(f.name()));
            return names;
        } catch (SchemaRegistryException e) {
            if (!e.isNotFound()) {
                LOG.warn(
                        "Cannot read the latest schema of {} ({}); the lake table takes the job's"
                                + " own schema",
                        schemas.subject(),
                        e.getMessage());
            }
            return null;
        }
    }

    /**
     * The reader fields the table starts with: those of the latest registered version (all of them
     * when nothing is registered), the pipeline's own fields, and any column the table already has.
     */
    static List<String> initialColumns(
            Schema reader,
            @Nullable Set<String> registered,
            Set<String> pipelineFields,
            Set<String> existingColumns) {
        List<String> columns = new ArrayList<>();
        for (Schema.Field field : reader.getFields()) {
            String name = field.name();
            if (registered == null
                    || registered.contains(name)
                    || pipelineFields.contains(name)
                    || existingColumns.contains(name)) {
                columns.add(name);
            }
        }
        return columns;
    }

    /** The reader schema restricted to {@code columns}, in the reader's field order. */
    static Schema project(Schema reader, List<String> columns) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : reader.getFields()) {
            if (columns.contains(field.name())) {
                fields.add(new Schema.Field(field, field.schema()));
            }
        }
        Schema projected =
                Schema.createRecord(
                        reader.getName(), reader.getDoc(), reader.getNamespace(), false, fields);
        return projected;
    }

    private static Set<String> columnNames(Table table) {
        Set<String> names = new LinkedHashSet<>();
        table.schema().columns().forEach(c -> names.add(c.name()));
        return names;
    }

    private static void close(Catalog catalog) {
        if (catalog instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException e) {
                LOG.warn("Could not close catalog {}", catalog.name(), e);
            }
        }
    }
}
