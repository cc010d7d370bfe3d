package dev.substrate.jobs;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTables;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreshStartGuardTest {

    @TempDir Path dir;

    private Configuration job;

    @BeforeEach
    void lake() {
        LakeCatalogConfig catalog =
                LakeCatalogConfig.sqlite(dir.resolve("catalog.db"), dir.resolve("warehouse"));
        job = new Configuration();
        job.set(SubstrateOptions.CATALOG_TYPE, "jdbc");
        catalog.properties().forEach((k, v) -> job.setString("catalog." + k, v));
    }

    @Test
    void anEmptyLakeOrALakeNoJobWroteMayStartWithoutState() {
        assertThatCode(() -> FreshStartGuard.check(job, new Configuration()))
                .doesNotThrowAnyException();
        commit(false);
        assertThatCode(() -> FreshStartGuard.check(job, new Configuration()))
                .doesNotThrowAnyException();
    }

    @Test
    void aLakeAJobWroteRefusesAStartWithoutStateAndSaysTheFix() {
        commit(true);

        assertThatThrownBy(() -> FreshStartGuard.check(job, new Configuration()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("substrate.gpu_samples")
                .hasMessageContaining("job-1")
                .hasMessageContaining("flink run -s")
                .hasMessageContaining("--resume.allow-fresh-start true");
    }

    @Test
    void aStartFromASavepointWithHighAvailabilityOrAllowedKnowinglyIsNotChecked() {
        commit(true);

        Configuration fromSavepoint = new Configuration();
        fromSavepoint.set(StateRecoveryOptions.SAVEPOINT_PATH, "file:/savepoints/sp-1");
        assertThatCode(() -> FreshStartGuard.check(job, fromSavepoint)).doesNotThrowAnyException();

        Configuration highAvailability = new Configuration();
        highAvailability.set(HighAvailabilityOptions.HA_MODE, "kubernetes");
        assertThatCode(() -> FreshStartGuard.check(job, highAvailability))
                .doesNotThrowAnyException();

        job.set(SubstrateOptions.ALLOW_FRESH_START, true);
        assertThatCode(() -> FreshStartGuard.check(job, new Configuration()))
                .doesNotThrowAnyException();
    }

    private void commit(boolean byAJob) {
        Catalog catalog =
                LakeCatalogConfig.sqlite(dir.resolve("catalog.db"), dir.resolve("warehouse"))
                        .loadCatalog();
        try {
            LakeTables.ensureNamespace(catalog);
            var id = LakeTables.identifier("gpu_samples");
            Table table =
                    catalog.tableExists(id)
                            ? catalog.loadTable(id)
                            : catalog.createTable(
                                    id,
                                    new Schema(
                                            Types.NestedField.required(
                                                    1, "event_id", Types.StringType.get())),
                                    PartitionSpec.unpartitioned());
            var append =
                    table.newAppend()
                            .appendFile(
                                    DataFiles.builder(table.spec())
                                            .withPath(table.location() + "/data/a.parquet")
                                            .withFormat(FileFormat.PARQUET)
                                            .withFileSizeInBytes(10)
                                            .withRecordCount(1)
                                            .build());
            if (byAJob) {
                append.set("flink.job-id", "job-1");
            }
            append.commit();
        } finally {
            LakeTables.close(catalog);
        }
    }
}
