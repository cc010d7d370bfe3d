package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.util.InstantiationUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.TableLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LakeCatalogConfigTest {

    @TempDir Path dir;

    @Test
    void hadoopIsTheDefaultAndNeedsOnlyAWarehouse() {
        String warehouse = dir.resolve("warehouse").toString();

        LakeCatalogConfig config =
                LakeCatalogConfig.fromProperties(
                        Map.of("catalog.warehouse", warehouse, "kafka.bootstrap", "x:9092"),
                        Map.of());

        assertThat(config.type()).isEqualTo(LakeCatalogConfig.Type.HADOOP);
        assertThat(config.name()).isEqualTo("substrate");
        assertThat(config.warehouse()).isEqualTo(warehouse);
        assertThat(config.properties()).containsOnlyKeys("warehouse");
        assertThat(config).isEqualTo(LakeCatalogConfig.hadoop(dir.resolve("warehouse")));

        Catalog catalog = config.loadCatalog();
        assertThat(catalog.getClass().getSimpleName()).isEqualTo("HadoopCatalog");
        assertThat(catalog.name()).isEqualTo("substrate");
    }

    @Test
    void passesOtherCatalogKeysThroughWithoutThePrefix() {
        LakeCatalogConfig config =
                LakeCatalogConfig.fromProperties(
                        Map.of(
                                "catalog.type", "JDBC",
                                "catalog.name", "lake",
                                "catalog.uri", "jdbc:sqlite:/tmp/c.db",
                                "catalog.warehouse", "/tmp/w",
                                "catalog.jdbc.user", "substrate",
                                "catalog.jdbc.schema-version", "V0"),
                        Map.of());

        assertThat(config.type()).isEqualTo(LakeCatalogConfig.Type.JDBC);
        assertThat(config.name()).isEqualTo("lake");
        assertThat(config.properties())
                .containsEntry("uri", "jdbc:sqlite:/tmp/c.db")
                .containsEntry("warehouse", "/tmp/w")
                .containsEntry("jdbc.user", "substrate")
                // an explicit key wins over the built-in default V1
                .containsEntry("jdbc.schema-version", "V0")
                .doesNotContainKeys("type", "name", "catalog.uri");
    }

    @Test
    void restCredentialsComeFromTheEnvironmentAndAreNeverPrinted() throws Exception {
        LakeCatalogConfig config =
                LakeCatalogConfig.fromProperties(
                        Map.of(
                                "catalog.type", "rest",
                                "catalog.uri", "http://127.0.0.1:8181",
                                "catalog.warehouse", "prod",
                                "catalog.credential", "from-file:should-lose"),
                        Map.of(
                                "SUBSTRATE_CATALOG_CREDENTIAL", "client:s3cr3t-value",
                                "SUBSTRATE_CATALOG_TOKEN", "tok-123456"));

        assertThat(config.type()).isEqualTo(LakeCatalogConfig.Type.REST);
        assertThat(config.uri()).isEqualTo("http://127.0.0.1:8181");
        assertThat(config.properties())
                .containsEntry("credential", "client:s3cr3t-value")
                .containsEntry("token", "tok-123456");

        CatalogLoader loader = config.catalogLoader();
        String[] printed = {
            config.toString(),
            loader.toString(),
            TableLoader.fromCatalog(loader, LakeTables.identifier("gpu_samples")).toString()
        };
        for (String text : printed) {
            assertThat(text).doesNotContain("s3cr3t").doesNotContain("tok-123456");
        }
        assertThat(config.toString()).contains("credential=****").contains("127.0.0.1:8181");

        LakeCatalogConfig copy = InstantiationUtil.clone(config);
        assertThat(copy).isEqualTo(config);
        assertThat(InstantiationUtil.clone(loader)).isNotNull();
    }

    @Test
    void jdbcPasswordFromTheEnvironment() {
        LakeCatalogConfig config =
                LakeCatalogConfig.fromProperties(
                        Map.of(
                                "catalog.type", "jdbc",
                                "catalog.uri", "jdbc:postgresql://db/lake",
                                "catalog.warehouse", "s3://lake/warehouse"),
                        Map.of("SUBSTRATE_CATALOG_JDBC_PASSWORD", "pg-pass-1"));

        assertThat(config.properties()).containsEntry("jdbc.password", "pg-pass-1");
        assertThat(config.toString()).doesNotContain("pg-pass-1");
    }

    @Test
    void missingOrWrongKeysAreReportedByName() {
        assertThatThrownBy(() -> LakeCatalogConfig.fromProperties(Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("catalog.warehouse");
        assertThatThrownBy(
                        () ->
                                LakeCatalogConfig.fromProperties(
                                        Map.of("catalog.type", "rest"), Map.of()))
                .hasMessageContaining("catalog.uri");
        assertThatThrownBy(
                        () ->
                                LakeCatalogConfig.fromProperties(
                                        Map.of("catalog.type", "hive"), Map.of()))
                .hasMessageContaining("hadoop, jdbc, rest")
                .hasMessageContaining("hive");
        assertThatThrownBy(
                        () ->
                                LakeCatalogConfig.fromProperties(
                                        Map.of(
                                                "catalog.type", "jdbc",
                                                "catalog.warehouse", "/w",
                                                "catalog.uri", " "),
                                        Map.of()))
                .hasMessageContaining("catalog.uri");
    }
}
