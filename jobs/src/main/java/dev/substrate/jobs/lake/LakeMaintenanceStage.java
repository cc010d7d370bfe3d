package dev.substrate.jobs.lake;

import dev.substrate.jobs.stage.StageContext;
import dev.substrate.sinks.lake.LakeMaintenance;
import dev.substrate.sinks.lake.LakeTables;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;

/**
 * Maintains every lake table the job writes, inside the job (see {@link LakeMaintenance}): added
 * last, once every other stage has created its tables, one maintenance graph per table of the
 * lake's namespace, each with its own monitor source and uids {@code ...lake-maintenance-<name>}.
 */
public final class LakeMaintenanceStage {

    /**
     * @param maintenance how tables are maintained; null when {@code lake.maintenance.enabled} is
     *     false
     */
    public record Settings(@Nullable LakeMaintenance maintenance, StageContext context) {

        public static Settings from(ReadableConfig config, StageContext context) {
            return new Settings(
                    config.get(LakeMaintenanceOptions.ENABLED)
                            ? LakeMaintenanceOptions.maintenance(config, context.lake())
                            : null,
                    context);
        }

        /** Maintenance writes no Kafka topic. */
        public List<String> topics() {
            return List.of();
        }
    }

    /**
     * @param tables the tables maintained, by name; empty when maintenance is off
     */
    public record Output(List<String> tables) {}

    private final Settings settings;

    public LakeMaintenanceStage(Settings settings) {
        this.settings = settings;
    }

    /** Adds the maintenance of every table of the lake's namespace to {@code env}. */
    public Output addTo(StreamExecutionEnvironment env) {
        if (settings.maintenance() == null) {
            return new Output(List.of());
        }
        List<String> tables = tables();
        for (String table : tables) {
            settings.maintenance().addTo(env, table);
        }
        return new Output(tables);
    }

    private List<String> tables() {
        Catalog catalog = settings.context().lake().loadCatalog();
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
