package dev.substrate.sinks.lake;

import dev.substrate.schemas.wire.Sourced;
import java.io.Serial;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.util.Collector;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.sink.dynamic.DynamicRecord;
import org.apache.iceberg.flink.sink.dynamic.DynamicRecordGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each record into a {@link DynamicRecord} whose columns are the table's columns by schema
 * (see {@link EvolvingLakeSink}): every field of the record that a registered version of the
 * subject has, that the pipeline fills in, or that the table already has. Every writer subtask
 * follows the same registry and table through a {@link LakeColumnRefresher}, so a column's presence
 * never depends on which records a subtask saw; the set of columns only grows.
 *
 * <p>Per record this costs one volatile read (has the refresher seen new names?) and a look at the
 * fields that are not columns yet; layouts (Iceberg schema, partition spec, row mapper) are built
 * once per set of columns.
 */
final class ProjectingRecordGenerator<T extends SpecificRecordBase>
        implements DynamicRecordGenerator<Sourced<T>> {

    @Serial private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(ProjectingRecordGenerator.class);

    private final Class<T> recordClass;
    private final String tableName;
    private final String timestampField;
    private final String partitionField;
    private final List<String> initialColumns;
    private final EvolvingLakeSink.SchemaSource schemas;
    private final CatalogLoader catalogLoader;

    private transient Schema reader;
    private transient SpecificData model;
    private transient TableIdentifier identifier;
    private transient LakeColumnRefresher refresher;
    private transient Set<String> followed;
    private transient Set<String> columns;
    private transient Layout layout;
    private transient Map<Set<String>, Layout> layouts;
    private transient int lastSchemaId;
    private transient Set<Integer> seenSchemaIds;
    private transient int[] watchedPositions;
    private transient Object[] watchedDefaults;

    ProjectingRecordGenerator(
            Class<T> recordClass,
            LakeTableSpec spec,
            List<String> initialColumns,
            EvolvingLakeSink.SchemaSource schemas,
            CatalogLoader catalogLoader) {
        this.recordClass = Objects.requireNonNull(recordClass, "recordClass");
        this.tableName = spec.name();
        this.timestampField = spec.timestampField();
        this.partitionField = spec.partitionField();
        this.initialColumns = new ArrayList<>(initialColumns);
        this.schemas = Objects.requireNonNull(schemas, "schemas");
        this.catalogLoader = Objects.requireNonNull(catalogLoader, "catalogLoader");
    }

    @Override
    public void open(OpenContext context) {
        model = SpecificData.getForClass(recordClass);
        reader = model.getSchema(recordClass);
        identifier = LakeTables.identifier(tableName);
        layouts = new HashMap<>();
        columns = new LinkedHashSet<>(initialColumns);
        use(columns);
        Set<String> readerFields = new LinkedHashSet<>();
        reader.getFields().forEach(field -> readerFields.add(field.name()));
        refresher = LakeColumnRefresher.start(tableName, schemas, catalogLoader, readerFields);
        follow(refresher.latest());
        seenSchemaIds = new HashSet<>();
        lastSchemaId = -1;
    }

    @Override
    public void generate(Sourced<T> sourced, Collector<DynamicRecord> out) {
        T record = sourced.record();
        Set<String> latest = refresher.latest();
        if (latest != followed) {
            follow(latest);
        }
        if (sourced.schemaId() != lastSchemaId) {
            lastSchemaId = sourced.schemaId();
            if (seenSchemaIds.add(lastSchemaId)) {
                // First sight of a writer schema in this subtask: its fields become columns
                // before its first row is written, whatever the row's values.
                add(
                        refresher.writerFields(lastSchemaId),
                        "a record written with schema id " + lastSchemaId + " has them");
            }
        }
        if (carriesValuesBeyondColumns(record)) {
            keepValues(record);
        }
        // No distribution mode: the dynamic sink then writes through its forward writer, chained
        // to this generator, instead of shuffling every row to a writer subtask. Rows arrive
        // spread over the subtasks already.
        out.collect(
                new DynamicRecord(
                        identifier,
                        SnapshotRef.MAIN_BRANCH,
                        layout.table,
                        layout.mapper.map(record),
                        layout.spec));
    }

    /**
     * Stops the column refresher. The dynamic sink never calls this (its refresher ends with the
     * task thread); for owners that do know when they are done.
     */
    void close() {
        if (refresher != null) {
            refresher.close();
        }
    }

    /** Makes every reader field among {@code names} (registered or in the table) a column. */
    private void follow(Set<String> names) {
        followed = names;
        add(names, "the registry or the table has them");
    }

    /** True when the record has a non-default value in a field that is not a column. */
    private boolean carriesValuesBeyondColumns(T record) {
        for (int i = 0; i < watchedPositions.length; i++) {
            Object value = record.get(watchedPositions[i]);
            if (value != null && !value.equals(watchedDefaults[i])) {
                return true;
            }
        }
        return false;
    }

    /**
     * A value the refresher has not seen a version for yet (registered since its last refresh, or
     * under another subject): the column is added at once, since a value is never dropped for want
     * of a column, and the refresher looks again, so every writer follows.
     */
    private void keepValues(T record) {
        List<String> carried = new ArrayList<>();
        for (int i = 0; i < watchedPositions.length; i++) {
            Object value = record.get(watchedPositions[i]);
            if (value != null && !value.equals(watchedDefaults[i])) {
                carried.add(reader.getFields().get(watchedPositions[i]).name());
            }
        }
        add(carried, "a record carries values in them before a registered version was seen");
        refresher.requestRefresh();
    }

    private void add(Collection<String> names, String why) {
        Set<String> wanted = new LinkedHashSet<>(columns);
        for (Schema.Field field : reader.getFields()) {
            if (names.contains(field.name())) {
                wanted.add(field.name());
            }
        }
        if (wanted.size() > columns.size()) {
            List<String> added = new ArrayList<>(wanted);
            added.removeAll(columns);
            LOG.info(
                    "Lake table {} gains columns {} (subject {}): {}",
                    tableName,
                    added,
                    schemas.subject(),
                    why);
            columns = wanted;
            use(columns);
        }
    }

    private void use(Set<String> names) {
        List<String> ordered = new ArrayList<>();
        for (Schema.Field field : reader.getFields()) {
            if (names.contains(field.name())) {
                ordered.add(field.name());
            }
        }
        layout = layouts.computeIfAbsent(Set.copyOf(ordered), k -> layout(ordered));
        List<Integer> positions = new ArrayList<>();
        List<Object> defaults = new ArrayList<>();
        for (Schema.Field field : reader.getFields()) {
            if (!names.contains(field.name())) {
                positions.add(field.pos());
                defaults.add(field.hasDefaultValue() ? model.getDefaultValue(field) : null);
            }
        }
        watchedPositions = positions.stream().mapToInt(Integer::intValue).toArray();
        watchedDefaults = defaults.toArray();
    }

    private Layout layout(List<String> ordered) {
        Schema projected = EvolvingLakeSink.project(reader, ordered);
        org.apache.iceberg.Schema table = LakeTables.icebergSchema(projected);
        PartitionSpec spec =
                LakeTables.partitionSpec(
                        table,
                        new LakeTableSpec(tableName, projected, timestampField, partitionField));
        return new Layout(table, spec, AvroToRowDataMapper.forTable(reader, table));
    }

    private record Layout(
            org.apache.iceberg.Schema table,
            PartitionSpec spec,
            AvroToRowDataMapper<SpecificRecordBase> mapper) {}
}
