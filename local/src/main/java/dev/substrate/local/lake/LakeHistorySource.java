package dev.substrate.local.lake;

import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.sinks.lake.LakeTables;
import java.io.Serial;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.source.IcebergSource;

/**
 * One lake table's history of {@code [from, to)} as a bounded Flink stream of the Avro records the
 * operators take, read by Iceberg's own Flink source on the cluster (never into the client's
 * memory), for {@code substrate replay} and {@code substrate policies backtest}:
 *
 * <pre>
 *  Iceberg table ─► IcebergSource (bounded; filter from ≤ time &lt; to pushed down, so files
 *                   │             whose column stats lie outside are never opened; files read
 *                   │             oldest first, a watermark per file = its earliest event time)
 *                   ├─► RowData → Avro record (rows outside the interval dropped; counted)
 *                   ├─► event-time sort (held until the file watermarks pass them)
 *                   └─► the caller's watermarks, over records in event-time order
 * </pre>
 *
 * <p>The caller's watermark strategy sees the records in event-time order, as it did when the
 * commands sorted the whole interval on the client, so a replay decides exactly as before. Usage:
 *
 * <pre>{@code
 * LakeHistorySource<WorkloadRequest> requests =
 *         LakeHistorySource.builder(WorkloadRequest.class)
 *                 .catalog(catalogLoader).table("workload_requests").timeColumn("timestamp")
 *                 .from(from).to(to).build();
 * DataStream<WorkloadRequest> stream = requests.read(env, watermarks);
 * long rows = requests.rowsRead(env.execute());
 * }</pre>
 */
public final class LakeHistorySource<T extends SpecificRecordBase> {

    private final CatalogLoader catalog;
    private final String table;
    private final Class<T> type;
    private final String timeColumn;
    private final Instant from;
    private final Instant to;

    private LakeHistorySource(Builder<T> b) {
        this.catalog = b.catalog;
        this.table = b.table;
        this.type = b.type;
        this.timeColumn = b.timeColumn;
        this.from = b.from;
        this.to = b.to;
    }

    public static <T extends SpecificRecordBase> Builder<T> builder(Class<T> type) {
        return new Builder<>(type);
    }

    /** The pushed-down filter: the time column within {@code [from, to)}. */
    Expression filter() {
        // Iceberg reads a long literal for a timestamp column as microseconds.
        return Expressions.and(
                Expressions.greaterThanOrEqual(timeColumn, from.toEpochMilli() * 1_000),
                Expressions.lessThan(timeColumn, to.toEpochMilli() * 1_000));
    }

    /**
     * Adds the history to {@code env}: the interval's rows in event-time order under {@code
     * watermarks}. A table the lake does not have yet is an empty stream.
     */
    public DataStream<T> read(StreamExecutionEnvironment env, WatermarkStrategy<T> watermarks) {
        if (env.getCheckpointConfig().isCheckpointingEnabled()) {
            // The event-time sort holds records outside Flink state: a restore would lose them.
            throw new IllegalArgumentException(
                    "a lake history read runs without checkpoints (a failed read starts over):"
                            + " disable checkpointing for this job");
        }
        AvroTypeInfo<T> info = new AvroTypeInfo<>(type);
        TableIdentifier id = identifier();
        Catalog loaded = catalog.loadCatalog();
        if (!loaded.tableExists(id)) {
            // One number that maps to nothing: a source of no records at all.
            return env.fromSequence(0, 0)
                    .flatMap((Long ignored, Collector<T> out) -> {})
                    .returns(info)
                    .name("no lake table " + table)
                    .setParallelism(1)
                    .assignTimestampsAndWatermarks(watermarks);
        }
        Table iceberg = loaded.loadTable(id);
        iceberg.refresh();
        if (iceberg.schema().findField(timeColumn) == null) {
            throw new IllegalArgumentException(
                    "lake table "
                            + id
                            + " has no column "
                            + timeColumn
                            + ": it was not written by this version of Substrate");
        }
        RowType rowType = FlinkSchemaUtil.convert(iceberg.schema());
        IcebergSource<RowData> source =
                IcebergSource.forRowData()
                        .tableLoader(TableLoader.fromCatalog(catalog, id))
                        .table(iceberg)
                        .streaming(false)
                        .filters(List.of(filter()))
                        .watermarkColumn(timeColumn)
                        // The cluster is in-process: no host to prefer, and asking the file
                        // system for block locations fails on the lake's local file system.
                        .exposeLocality(false)
                        .build();
        String name = "lake " + table;
        return env.fromSource(
                        source,
                        WatermarkStrategy.noWatermarks(),
                        name,
                        InternalTypeInfo.of(rowType))
                .uid("lake-history-" + table)
                .setParallelism(1)
                .flatMap(new ToAvro<>(type, rowType, timeColumn, from, to, counterName()))
                .returns(info)
                .name(name + " as " + type.getSimpleName())
                .uid("lake-history-avro-" + table)
                .setParallelism(1)
                .transform(
                        name + " in event-time order",
                        info,
                        new EventTimeSortOperator<T>(eventTime(timeColumn)))
                .uid("lake-history-sort-" + table)
                .setParallelism(1)
                .assignTimestampsAndWatermarks(watermarks)
                .name(name + " watermarks")
                .setParallelism(1);
    }

    /**
     * Runs the job that ends in {@code results}, hands each result to {@code each} as it arrives
     * and returns the finished job's result, for {@link #rowsRead}.
     */
    public static <R> JobExecutionResult run(
            StreamExecutionEnvironment env, DataStream<R> results, String jobName, Consumer<R> each)
            throws Exception {
        try (CloseableIterator<R> it = results.collectAsync()) {
            JobClient job = env.executeAsync(jobName);
            it.forEachRemaining(each);
            return job.getJobExecutionResult().get();
        }
    }

    /** The rows of the interval the finished job read from this table. */
    public long rowsRead(JobExecutionResult result) {
        Long rows = result.getAccumulatorResult(counterName());
        return rows == null ? 0 : rows;
    }

    private String counterName() {
        return "lake-history-rows:" + table;
    }

    private TableIdentifier identifier() {
        return table.contains(".") ? TableIdentifier.parse(table) : LakeTables.identifier(table);
    }

    /** A record's event time in epoch millis, from the Avro field that holds the time column. */
    private static <T extends SpecificRecordBase>
            EventTimeWatermarks.EventTimeExtractor<T> eventTime(String field) {
        return record -> {
            Object value = record.get(field);
            return value instanceof Instant t ? t.toEpochMilli() : ((Number) value).longValue();
        };
    }

    /** Turns the source's rows into Avro records, keeps those of the interval and counts them. */
    private static final class ToAvro<T extends SpecificRecordBase>
            extends RichFlatMapFunction<RowData, T> {

        @Serial private static final long serialVersionUID = 1L;

        private final Class<T> type;
        private final RowType rowType;
        private final EventTimeWatermarks.EventTimeExtractor<T> time;
        private final long lo;
        private final long hi;
        private final String counterName;
        private transient Schema schema;
        private transient LongCounter rows;

        ToAvro(
                Class<T> type,
                RowType rowType,
                String timeColumn,
                Instant from,
                Instant to,
                String counterName) {
            this.type = type;
            this.rowType = rowType;
            this.time = eventTime(timeColumn);
            this.lo = from.toEpochMilli();
            this.hi = to.toEpochMilli();
            this.counterName = counterName;
        }

        @Override
        public void open(OpenContext context) {
            schema = SpecificData.get().getSchema(type);
            rows = new LongCounter();
            getRuntimeContext().addAccumulator(counterName, rows);
        }

        @Override
        public void flatMap(RowData row, Collector<T> out) {
            T record = LakeRecords.toAvro(row, rowType, type, schema);
            long at = time.eventTime(record);
            // Iceberg prunes files by their stats; rows of a kept file may still lie outside.
            if (at >= lo && at < hi) {
                rows.add(1);
                out.collect(record);
            }
        }
    }

    /** Builds a {@link LakeHistorySource}; every field is required. */
    public static final class Builder<T extends SpecificRecordBase> {
        private final Class<T> type;
        private CatalogLoader catalog;
        private String table;
        private String timeColumn;
        private Instant from;
        private Instant to;

        private Builder(Class<T> type) {
            this.type = Objects.requireNonNull(type, "type");
        }

        /** The lake's catalog, as a recipe the cluster can load it from. */
        public Builder<T> catalog(CatalogLoader catalog) {
            this.catalog = catalog;
            return this;
        }

        /** The table; without a dot, in the lake's namespace. */
        public Builder<T> table(String table) {
            this.table = table;
            return this;
        }

        /** The event-time column (a timestamp), also the Avro field of the record type. */
        public Builder<T> timeColumn(String timeColumn) {
            this.timeColumn = timeColumn;
            return this;
        }

        /** Start of the interval, inclusive. */
        public Builder<T> from(Instant from) {
            this.from = from;
            return this;
        }

        /** End of the interval, exclusive. */
        public Builder<T> to(Instant to) {
            this.to = to;
            return this;
        }

        public LakeHistorySource<T> build() {
            Objects.requireNonNull(catalog, "catalog");
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(timeColumn, "timeColumn");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            if (!from.isBefore(to)) {
                throw new IllegalArgumentException(
                        "the interval's start " + from + " must be before its end " + to);
            }
            if (SpecificData.get().getSchema(type).getField(timeColumn) == null) {
                throw new IllegalArgumentException(
                        type.getSimpleName() + " has no field " + timeColumn);
            }
            return new LakeHistorySource<>(this);
        }
    }
}
