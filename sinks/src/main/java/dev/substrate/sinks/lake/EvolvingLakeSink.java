package dev.substrate.sinks.lake;

import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.Sourced;
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
 * Appends a stream of Avro records to a lake table whose columns follow the schema versions
 * registered under its subject, not the values records happen to carry, while the job runs:
 * Iceberg's dynamic sink, with a generator that writes each record with the table's columns.
 *
 * <pre>
 *  T ─► generator: the record's fields that are columns ─► DynamicIcebergSink ─┬─ same / fewer columns
 *        ▲                                                                    │  than the table ─► write
 *        │ columns = record fields in (any registered version                 └─ more columns ─► updater
 *        │           ∪ pipeline fields ∪ the table's columns)                    adds them, then write
 *        └── LakeColumnRefresher (own thread, every refresh): registry versions, table columns
 * </pre>
 *
 * <p>The columns, decided alike in every writer subtask:
 *
 * <ul>
 *   <li>A field of the job's record class (the reader schema) is a column when any registered
 *       version of the subject has it (not just the latest: an older producer that registers its
 *       older schema, which then becomes the latest, hides no column), when the pipeline fills it
 *       in ({@code quality_tags}), or when the table already has it. When the subject has no
 *       version yet, or the registry cannot be read while the job is built, the table takes every
 *       field of the record class.
 *   <li>Every row holds every column its record has, whatever the value: a 0 is written as 0 by
 *       every writer. A record decoded from a version without a column carries the reader's default
 *       there ({@code xid} 0, null for optional fields), and that is what its row holds.
 *   <li>A field that no registered version has is not a column yet: records can only carry the
 *       reader's default in it. When a version with it is registered, every writer adds the column
 *       within {@code refresh}, and sooner: records arrive with their Kafka provenance ({@link
 *       Sourced}), and a writer that sees a writer schema id for the first time makes that schema's
 *       fields columns before it writes the record, whatever its values (one registry read per new
 *       id and writer). A record carrying a non-default value in a field that is not a column (a
 *       schema the registry could not serve) still gets the column at once, so no value is dropped.
 *   <li>Fields of registered versions that the record class lacks (producers ahead of the job)
 *       cannot be written; they are logged once.
 * </ul>
 *
 * <p>When the job is built the table is created or checked with these columns: a fleet on v1 gets a
 * v1 table, not the job's newer class. Columns are never dropped, renamed or narrowed; see {@link
 * LakeSchemaEvolution} for what is allowed and what fails the build. The registry is never asked
 * per record: each version is fetched once, the version list every {@code refresh}, off the task
 * thread; only a writer schema id not seen before is read on the task thread, once.
 *
 * <p>Commits happen on checkpoints, exactly once, as with {@link IcebergLakeSink}. Operator uids
 * start with {@code lake-<name>}.
 */
public final class EvolvingLakeSink {

    private static final Logger LOG = LoggerFactory.getLogger(EvolvingLakeSink.class);

    private EvolvingLakeSink() {}

    /**
     * Where the sink learns which schema versions producers use.
     *
     * @param registry the schema registry
     * @param subject the subject whose versions the table's columns follow
     * @param pipelineFields fields the pipeline fills in itself: always columns
     * @param refresh how often the registered versions and the table's columns are read again
     */
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
            DataStream<Sourced<T>> stream,
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
            LakeTables.close(opened);
        }
        int parallelism =
                stream.getParallelism() > 0
                        ? stream.getParallelism()
                        : stream.getExecutionEnvironment().getParallelism();
        return DynamicIcebergSink.forInput(stream)
                .generator(
                        new ProjectingRecordGenerator<>(
                                recordClass, spec, columns, schemas, catalog.catalogLoader()))
                .catalogLoader(catalog.catalogLoader())
                .writeParallelism(parallelism)
                .immediateTableUpdate(false)
                .uidPrefix(IcebergLakeSink.uid(spec.name()))
                .append();
    }

    /**
     * The fields of every version registered under the subject, or null when none is registered or
     * the registry cannot be read.
     */
    @Nullable
    static Set<String> registeredFields(SchemaSource schemas) {
        RegisteredFieldUnion union = new RegisteredFieldUnion(schemas.subject());
        try (SchemaRegistryClient client = new SchemaRegistryClient(schemas.registry())) {
            Set<String> fields = union.refresh(client);
            return union.anyRegistered() ? fields : null;
        } catch (SchemaRegistryException e) {
            LOG.warn(
                    "Cannot read the registered versions of {} ({}); the lake table takes the"
                            + " job's own schema",
                    schemas.subject(),
                    e.getMessage());
            return null;
        }
    }

    /**
     * The reader fields the table starts with: those of any registered version (all of them when
     * nothing is registered), the pipeline's own fields, and any column the table already has.
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
}
