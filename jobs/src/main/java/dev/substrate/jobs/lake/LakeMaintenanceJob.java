package dev.substrate.jobs.lake;

import dev.substrate.jobs.config.SubstrateConfig;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeMaintenance;
import dev.substrate.sinks.lake.LakeTables;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;

/**
 * The lake's maintenance job: Iceberg's Flink table maintenance ({@link LakeMaintenance}) for every
 * table of the lake's namespace, running next to {@code SubstrateJob} for as long as it does, from
 * the same jar. The local run starts it beside the pipeline; on a cluster:
 *
 * <pre>
 * flink run -d -c dev.substrate.jobs.lake.LakeMaintenanceJob substrate-jobs-job.jar \
 *     --catalog.type rest --catalog.uri http://polaris:8181/api/catalog --catalog.warehouse lake
 * </pre>
 *
 * <p>Its own job, not a stage of {@code SubstrateJob}: Iceberg's maintenance operators exchange and
 * keep types Flink can only serialize with Kryo (the table changes, triggers, task results and
 * planned rewrite groups), and the pipeline runs with {@code pipeline.generic-types: false} so that
 * no Kryo fallback slips into its state. This job's state is a few small records per table. It also
 * keeps maintenance apart from the pipeline's restarts and savepoints: stopping or upgrading one
 * never waits for the other.
 */
public final class LakeMaintenanceJob {

    private LakeMaintenanceJob() {}

    public static void main(String[] args) throws Exception {
        Configuration config = SubstrateConfig.resolve(new Configuration(), System.getenv(), args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        List<String> tables = build(env, config);
        if (tables.isEmpty()) {
            throw new IllegalStateException(
                    "The lake "
                            + StageContext.catalog(config)
                            + " has no tables in namespace "
                            + LakeTables.NAMESPACE
                            + " yet. Fix: start SubstrateJob first (it creates them), then this"
                            + " job.");
        }
        env.execute(NAME);
    }

    /** The job's name. */
    public static final String NAME = "substrate lake maintenance";

    /**
     * Adds the maintenance of every table of the lake configured by {@code config} ({@code
     * catalog.*}, {@code lake.maintenance.*}) to {@code env}.
     *
     * @return the tables maintained, by name
     */
    public static List<String> build(StreamExecutionEnvironment env, ReadableConfig config) {
        LakeCatalogConfig catalog = StageContext.catalog(config);
        LakeMaintenance maintenance = LakeMaintenanceOptions.maintenance(config, catalog);
        Configuration runtime = new Configuration();
        // Iceberg's maintenance types are Kryo's to serialize (see the class Javadoc).
        runtime.set(PipelineOptions.GENERIC_TYPES, true);
        env.configure(runtime);
        env.setParallelism(1);
        List<String> tables = tables(catalog);
        for (String table : tables) {
            maintenance.addTo(env, table);
        }
        return tables;
    }

    /**
     * Releases the maintenance locks of every table, after this job was cancelled (a cancelled task
     * may have held one); only when no other maintainer runs.
     */
    public static void releaseLocks(ReadableConfig config) {
        LakeCatalogConfig catalog = StageContext.catalog(config);
        LakeMaintenance maintenance = LakeMaintenanceOptions.maintenance(config, catalog);
        for (String table : tables(catalog)) {
            maintenance.releaseLock(table);
        }
    }

    private static List<String> tables(LakeCatalogConfig config) {
        Catalog catalog = config.loadCatalog();
        try {
            return catalog.listTables(Namespace.of(LakeTables.NAMESPACE)).stream()
                    .map(TableIdentifier::name)
                    .sorted()
                    .toList();
        } finally {
            LakeTables.close(catalog);
        }
    }
}
