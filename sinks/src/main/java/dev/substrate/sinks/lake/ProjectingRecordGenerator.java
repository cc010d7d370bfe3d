package dev.substrate.sinks.lake;

import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.io.Serial;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.apache.iceberg.flink.sink.dynamic.DynamicRecord;
import org.apache.iceberg.flink.sink.dynamic.DynamicRecordGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each record into a {@link DynamicRecord} carrying the table layout of the newest schema
 * version known to be in use (see {@link EvolvingLakeSink}); the set of columns only grows.
 */
final class ProjectingRecordGenerator<T extends SpecificRecordBase>
        implements DynamicRecordGenerator<T> {

    @Serial private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(ProjectingRecordGenerator.class);

    private final Class<T> recordClass;
    private final String tableName;
    private final String timestampField;
    private final String partitionField;
    private final List<String> initialColumns;
    private final EvolvingLakeSink.SchemaSource schemas;

    private transient Schema reader;
    private transient SpecificData model;
    private transient TableIdentifier identifier;
    private transient Set<String> columns;
    private transient Layout layout;
    private transient Map<Set<String>, Layout> layouts;
    private transient int[] watchedPositions;
    private transient Object[] watchedDefaults;
    private transient long lastRefresh;

    ProjectingRecordGenerator(
            Class<T> recordClass,
            LakeTableSpec spec,
            List<String> initialColumns,
            EvolvingLakeSink.SchemaSource schemas) {
        this.recordClass = Objects.requireNonNull(recordClass, "recordClass");
        this.tableName = spec.name();
        this.timestampField = spec.timestampField();
        this.partitionField = spec.partitionField();
        this.initialColumns = new ArrayList<>(initialColumns);
        this.schemas = schemas;
    }

    @Override
    public void open(OpenContext context) {
        model = SpecificData.getForClass(recordClass);
        reader = model.getSchema(recordClass);
        identifier = LakeTables.identifier(tableName);
        layouts = new HashMap<>();
        columns = new LinkedHashSet<>(initialColumns);
        use(columns);
        lastRefresh = System.currentTimeMillis();
    }

    @Override
    public void generate(T record, Collector<DynamicRecord> out) {
        long now = System.currentTimeMillis();
        boolean newerValues = carriesValuesBeyondTable(record);
        if (newerValues || now - lastRefresh >= schemas.refresh().toMillis()) {
            lastRefresh = now;
            grow(newerValues ? record : null);
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

    /** True when the record has a non-default value in a field the table has no column for. */
    private boolean carriesValuesBeyondTable(T record) {
        for (int i = 0; i < watchedPositions.length; i++) {
            Object value = record.get(watchedPositions[i]);
            if (value != null && !value.equals(watchedDefaults[i])) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds the fields of the registry's latest version, and (when {@code record} is given) every
     * field for which it carries a value: a value is never dropped for want of a column.
     */
    private void grow(T record) {
        Set<String> wanted = new LinkedHashSet<>(columns);
        Set<String> registered = null;
        try (SchemaRegistryClient client = new SchemaRegistryClient(schemas.registry())) {
            registered = new LinkedHashSet<>();
            for (Schema.Field field : client.getLatest(schemas.subject()).schema().getFields()) {
                registered.add(field.name());
            }
        } catch (SchemaRegistryException e) {
            LOG.warn(
                    "Lake table {}: cannot read the latest schema of {}: {}",
                    tableName,
                    schemas.subject(),
                    e.getMessage());
        }
        for (Schema.Field field : reader.getFields()) {
            if (registered != null && registered.contains(field.name())) {
                wanted.add(field.name());
            }
        }
        if (record != null) {
            for (int i = 0; i < watchedPositions.length; i++) {
                Object value = record.get(watchedPositions[i]);
                if (value != null && !value.equals(watchedDefaults[i])) {
                    String name = reader.getFields().get(watchedPositions[i]).name();
                    if (registered == null || !registered.contains(name)) {
                        LOG.warn(
                                "Lake table {}: a record carries field {} that the latest"
                                        + " registered version of {} lacks; adding the column"
                                        + " anyway so the value is kept",
                                tableName,
                                name,
                                schemas.subject());
                    }
                    wanted.add(name);
                }
            }
        }
        if (wanted.size() > columns.size()) {
            List<String> added = new ArrayList<>(wanted);
            added.removeAll(columns);
            LOG.info(
                    "Lake table {} gains columns {} (subject {})",
                    tableName,
                    added,
                    schemas.subject());
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
