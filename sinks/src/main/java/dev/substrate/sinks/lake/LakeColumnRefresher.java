package dev.substrate.sinks.lake;

import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.flink.CatalogLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the names a raw table's columns follow up to date, off the task thread: every field of
 * every version registered under the table's subject ({@link RegisteredFieldUnion}) and every
 * column the table already has. The set only grows.
 *
 * <pre>
 *  refresher thread, every interval ─┬─► registry: the versions not seen yet ─┐
 *  (and soon after requestRefresh)   └─► catalog: the table's columns ────────┴─► latest (volatile)
 *  task thread, per record ─► latest(): the same instance as before? nothing to do
 * </pre>
 *
 * <p>The first refresh runs inside {@link #start}, so a writer that starts or restarts begins with
 * the columns the registry and the table have then. The refresher's one daemon thread ends with the
 * task thread that started it (the dynamic sink never closes its generator), or on {@link
 * #close()}.
 */
final class LakeColumnRefresher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LakeColumnRefresher.class);

    private final String tableName;
    private final String subject;
    private final Set<String> readerFields;
    private final SchemaRegistryClient registry;
    private final RegisteredFieldUnion registered;
    private final CatalogLoader catalogLoader;
    private final Thread owner;
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicBoolean requested = new AtomicBoolean();

    // Guarded by this object's lock: refreshes run on the refresher thread, the first one on the
    // thread that calls start().
    private final Set<String> reportedUnknown = new HashSet<>();
    private Catalog catalog;
    private Table table;
    private boolean registryFailing;
    private boolean catalogFailing;

    private volatile boolean closed;
    private volatile Set<String> latest = Set.of();

    private LakeColumnRefresher(
            String tableName,
            EvolvingLakeSink.SchemaSource schemas,
            CatalogLoader catalogLoader,
            Set<String> readerFields) {
        this.tableName = Objects.requireNonNull(tableName, "tableName");
        this.subject = schemas.subject();
        this.readerFields = Set.copyOf(readerFields);
        this.registry = new SchemaRegistryClient(schemas.registry());
        this.registered = new RegisteredFieldUnion(subject);
        this.catalogLoader = Objects.requireNonNull(catalogLoader, "catalogLoader");
        this.owner = Thread.currentThread();
        this.executor =
                new ScheduledThreadPoolExecutor(
                        1,
                        runnable -> {
                            Thread thread = new Thread(runnable, "lake-columns-" + tableName);
                            thread.setDaemon(true);
                            return thread;
                        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Refreshes once on the calling thread (the task thread, which the refresher then lives as long
     * as), then every {@code schemas.refresh()} on its own thread.
     *
     * @param readerFields the fields of the job's record class, to report registered fields it
     *     lacks
     */
    static LakeColumnRefresher start(
            String tableName,
            EvolvingLakeSink.SchemaSource schemas,
            CatalogLoader catalogLoader,
            Set<String> readerFields) {
        LakeColumnRefresher refresher =
                new LakeColumnRefresher(tableName, schemas, catalogLoader, readerFields);
        refresher.refresh();
        long interval = schemas.refresh().toMillis();
        refresher.executor.scheduleWithFixedDelay(
                refresher::tick, interval, interval, TimeUnit.MILLISECONDS);
        return refresher;
    }

    /**
     * The fields of every registered version seen so far and the table's columns; a new instance
     * only when a name was added.
     */
    Set<String> latest() {
        return latest;
    }

    /** Asks for a refresh soon, without waiting for it (at most one is pending). */
    void requestRefresh() {
        if (requested.compareAndSet(false, true)) {
            try {
                executor.execute(this::refreshLogged);
            } catch (RejectedExecutionException afterClose) {
                requested.set(false);
            }
        }
    }

    /** Reads the registry's new versions and the table's columns now, on the calling thread. */
    synchronized void refresh() {
        requested.set(false);
        Set<String> names = new LinkedHashSet<>(latest);
        try {
            Set<String> fields = registered.refresh(registry);
            reportFieldsTheJobLacks(fields);
            names.addAll(fields);
            if (registryFailing) {
                LOG.info("Lake table {}: the registry answers again ({})", tableName, subject);
            }
            registryFailing = false;
        } catch (SchemaRegistryException e) {
            if (!registryFailing && !closed) {
                LOG.warn(
                        "Lake table {}: cannot read the registered versions of {} ({}); its"
                                + " columns stay as they are until the registry answers",
                        tableName,
                        subject,
                        e.getMessage());
            }
            registryFailing = true;
        }
        try {
            table().schema().columns().forEach(column -> names.add(column.name()));
            catalogFailing = false;
        } catch (RuntimeException e) {
            if (!catalogFailing && !closed) {
                LOG.warn(
                        "Lake table {}: cannot read the table's columns ({}); retrying every"
                                + " refresh",
                        tableName,
                        e.toString());
            }
            catalogFailing = true;
            table = null;
        }
        if (names.size() > latest.size()) {
            latest = Collections.unmodifiableSet(names);
        }
    }

    /**
     * The fields of the writer schema with this id (as the registry serves it once, then from the
     * client's cache), for a writer that sees the id for the first time. A registry that cannot
     * answer leaves the columns to the next refresh, which is asked for now.
     */
    synchronized Set<String> writerFields(int schemaId) {
        try {
            Set<String> fields = new LinkedHashSet<>();
            registry.getSchemaById(schemaId).getFields().forEach(f -> fields.add(f.name()));
            return fields;
        } catch (SchemaRegistryException | RuntimeException e) {
            LOG.warn(
                    "Lake table {}: cannot read writer schema {} ({}); its columns follow at the"
                            + " next refresh",
                    tableName,
                    schemaId,
                    e.toString());
            requestRefresh();
            return Set.of();
        }
    }

    /** Stops the refresher thread and closes the catalog; idempotent. */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        synchronized (this) {
            LakeTables.close(catalog);
            catalog = null;
            table = null;
            registry.close();
        }
    }

    private void tick() {
        if (!owner.isAlive()) {
            close();
            return;
        }
        refreshLogged();
    }

    /** A refresh whose unexpected failure is logged, so the schedule keeps running. */
    private void refreshLogged() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.warn("Lake table {}: column refresh failed", tableName, e);
        }
    }

    private Table table() {
        if (table == null) {
            if (catalog == null) {
                catalog = catalogLoader.loadCatalog();
            }
            table = catalog.loadTable(LakeTables.identifier(tableName));
        } else {
            table.refresh();
        }
        return table;
    }

    private void reportFieldsTheJobLacks(Set<String> fields) {
        List<String> unknown = new ArrayList<>();
        for (String field : fields) {
            if (!readerFields.contains(field) && reportedUnknown.add(field)) {
                unknown.add(field);
            }
        }
        if (!unknown.isEmpty()) {
            LOG.warn(
                    "Lake table {}: registered versions of {} have fields {} that the job's"
                            + " record class lacks; the job cannot write them until it runs with"
                            + " a schema that has them",
                    tableName,
                    subject,
                    unknown);
        }
    }
}
