package dev.substrate.sinks.lake;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.DistributionMode;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.sink.IcebergSink;

/**
 * Appends a stream of Avro records to an Iceberg lake table, exactly once: data files are written
 * continuously and committed to the table when a checkpoint completes (a bounded job's final
 * checkpoint commits the tail).
 *
 * <pre>
 *   DataStream&lt;T&gt; ─► lake-&lt;name&gt;-rowdata ─► Sink writer ─► pre-commit aggregator ─► committer
 *                   Avro → RowData        Parquet files   one manifest per        commits when the
 *                   (parallel)            (parallel)      checkpoint (1 task)     checkpoint completes
 * </pre>
 *
 * <p>The sink part is Iceberg's {@link IcebergSink} (Sink V2) with uid {@code lake-<name>}. Not
 * {@code FlinkSink}: its writer emits {@code FlinkWriteResult}, which Flink can only serialize with
 * Kryo, and jobs run with {@code pipeline.generic-types: false}.
 *
 * <p>The table is created, if absent, when the job is built (see {@link LakeTables}). Usage:
 *
 * <pre>{@code
 * LakeCatalogConfig catalog = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));
 * IcebergLakeSink.append(samples, catalog,
 *         new LakeTableSpec("gpu_samples", GpuSample.getClassSchema(), "timestamp", "cluster"));
 * }</pre>
 *
 * <p>Operator uids derive from {@code "lake-" + name} and never change, so savepoints keep the
 * committer's state (which Iceberg needs to avoid committing a checkpoint twice).
 */
public final class IcebergLakeSink {

    /**
     * Writers for a low-volume table: one (see {@link #append(DataStream, LakeCatalogConfig,
     * LakeTableSpec, int)}).
     */
    public static final int LOW_VOLUME_WRITERS = 1;

    private IcebergLakeSink() {}

    /**
     * The uid of the sink (its writer) for table {@code tableName}: {@code lake-<name>}. Flink
     * derives the pre-commit aggregator's and the committer's uids from it ({@code Sink Committer:
     * lake-<name>}); the mapper in front is {@code lake-<name>-rowdata}.
     */
    public static String uid(String tableName) {
        return "lake-" + tableName;
    }

    /**
     * Adds the Avro → RowData mapper and the Iceberg writer and committer for {@code spec} behind
     * {@code stream}, creating the table first if absent.
     *
     * @return the sink, uid {@code lake-<name>}, with the parallelism of {@code stream}'s mapper
     */
    public static <T extends SpecificRecord> DataStreamSink<RowData> append(
            DataStream<T> stream, LakeCatalogConfig catalog, LakeTableSpec spec) {
        return append(stream, catalog, spec, 0);
    }

    /**
     * As {@link #append(DataStream, LakeCatalogConfig, LakeTableSpec)}, with {@code writers} writer
     * subtasks. One writer suits a low-volume table (dead letters, alerts, reports): one file per
     * partition and checkpoint instead of one per subtask, and fewer tasks.
     *
     * @param writers writer parallelism; 0 for the parallelism of {@code stream}
     */
    public static <T extends SpecificRecord> DataStreamSink<RowData> append(
            DataStream<T> stream, LakeCatalogConfig catalog, LakeTableSpec spec, int writers) {
        return append(stream, catalog, spec, writers, spec.name());
    }

    /**
     * As {@link #append(DataStream, LakeCatalogConfig, LakeTableSpec, int)}, for a second writer of
     * a table in the same job (a later stage's dead letters): its uids derive from {@code uidName}
     * instead of the table's name. Iceberg commits each writer's checkpoints apart.
     */
    public static <T extends SpecificRecord> DataStreamSink<RowData> append(
            DataStream<T> stream,
            LakeCatalogConfig catalog,
            LakeTableSpec spec,
            int writers,
            String uidName) {
        checkStreamMatchesSpec(stream, spec);
        CatalogLoader catalogLoader = catalog.catalogLoader();
        Catalog opened = catalogLoader.loadCatalog();
        try {
            Table table = LakeTables.ensureTable(opened, spec);
            TableIdentifier id = LakeTables.identifier(spec.name());
            RowType rowType = FlinkSchemaUtil.convert(table.schema());
            AvroToRowDataMapper<T> mapper =
                    AvroToRowDataMapper.forTable(spec.avroSchema(), table.schema());

            DataStream<RowData> rows =
                    stream.map(mapper, InternalTypeInfo.of(rowType))
                            .uid(uid(uidName) + "-rowdata")
                            .name("lake " + spec.name() + ": Avro to RowData");

            IcebergSink.Builder builder = IcebergSink.forRowData(rows);
            if (writers > 0) {
                builder.writeParallelism(writers);
            }
            return builder.table(table)
                    .tableLoader(TableLoader.fromCatalog(catalogLoader, id))
                    // Rows arrive spread over the writers already; a shuffle by partition would
                    // only cost network for tables with few, low-cardinality partitions.
                    .distributionMode(DistributionMode.NONE)
                    .uidSuffix(uid(uidName))
                    .append();
        } finally {
            LakeTables.close(opened);
        }
    }

    /** Fails at build time, not at the first record, when the stream's class and spec differ. */
    private static void checkStreamMatchesSpec(DataStream<?> stream, LakeTableSpec spec) {
        Class<?> cls = stream.getType().getTypeClass();
        if (!SpecificRecord.class.isAssignableFrom(cls) || cls == SpecificRecord.class) {
            return;
        }
        Schema streamSchema = SpecificData.get().getSchema(cls);
        List<String> expected = fieldNames(spec.avroSchema());
        List<String> actual = fieldNames(streamSchema);
        if (!expected.equals(actual)) {
            throw new IllegalArgumentException(
                    "Lake table "
                            + spec.name()
                            + " expects records with fields "
                            + expected
                            + " but the stream carries "
                            + cls.getName()
                            + " with fields "
                            + actual);
        }
    }

    private static List<String> fieldNames(Schema schema) {
        return schema.getFields().stream().map(Schema.Field::name).toList();
    }
}
