package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalLakeTest {

    private static final Schema SCHEMA =
            new Schema(Types.NestedField.required(1, "event_id", Types.StringType.get()));

    @TempDir Path dataDir;

    @Test
    void aHadoopWarehouseMovesIntoTheJdbcCatalogInPlaceWithItsHistory() {
        TableIdentifier id = LakeTables.identifier("gpu_samples");
        List<Snapshot> history;
        String location;
        Catalog hadoop = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse")).loadCatalog();
        try {
            LakeTables.ensureNamespace(hadoop);
            Table table = hadoop.createTable(id, SCHEMA, PartitionSpec.unpartitioned());
            table.newAppend().appendFile(file(table, "a", 3)).commit();
            table.newAppend().appendFile(file(table, "b", 4)).commit();
            history = new java.util.ArrayList<>();
            table.snapshots().forEach(history::add);
            location = table.location();
        } finally {
            LakeTables.close(hadoop);
        }

        assertThat(LocalLake.migrateHadoopTables(dataDir)).containsExactly(id);
        assertThat(LocalLake.migrateHadoopTables(dataDir)).as("a second time: nothing").isEmpty();

        assertThat(dataDir.resolve(LocalLake.CATALOG_DB)).isRegularFile();
        Catalog jdbc = LocalLake.catalog(dataDir).loadCatalog();
        try {
            Table moved = jdbc.loadTable(id);
            assertThat(moved.location()).isEqualTo(location);
            assertThat((Iterable<Snapshot>) moved.snapshots())
                    .extracting(Snapshot::snapshotId)
                    .containsExactlyElementsOf(history.stream().map(Snapshot::snapshotId).toList());
            assertThat(moved.currentSnapshot().summary()).containsEntry("total-records", "7");

            // and it takes new commits, atomically, through the JDBC catalog
            moved.newAppend().appendFile(file(moved, "c", 5)).commit();
            assertThat(jdbc.loadTable(id).currentSnapshot().summary())
                    .containsEntry("total-records", "12");
        } finally {
            LakeTables.close(jdbc);
        }
    }

    @Test
    void aVersionHintThatNamesNoMetadataFileIsAnErrorWithItsFix() throws Exception {
        Path metadata =
                Files.createDirectories(
                        dataDir.resolve("warehouse/substrate/gpu_samples/metadata"));
        Files.writeString(metadata.resolve("version-hint.text"), "7");

        assertThatThrownBy(() -> LocalLake.migrateHadoopTables(dataDir))
                .isInstanceOf(LocalRunException.class)
                .hasMessageContaining("v7.metadata.json is not there")
                .hasMessageContaining("Fix:");
    }

    @Test
    void theJobOptionsNameTheSqliteCatalogInTheDataDirectory() {
        assertThat(LocalLake.options(dataDir))
                .containsEntry("catalog.type", "jdbc")
                .containsEntry("catalog.uri", "jdbc:sqlite:" + dataDir.resolve("catalog.db"))
                .containsEntry("catalog.warehouse", dataDir.resolve("warehouse").toString());
    }

    private static DataFile file(Table table, String name, long rows) {
        return DataFiles.builder(table.spec())
                .withPath(table.location() + "/data/" + name + ".parquet")
                .withFormat(FileFormat.PARQUET)
                .withFileSizeInBytes(100)
                .withRecordCount(rows)
                .build();
    }
}
