package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.GpuSample;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LakeTablesTest {

    private static final LakeTableSpec GPU_SAMPLES =
            new LakeTableSpec("gpu_samples", GpuSample.getClassSchema(), "timestamp", "cluster");

    @TempDir Path dir;

    @Test
    void icebergSchemaKeepsAvroNamesOrderAndNullability() {
        org.apache.iceberg.Schema schema = LakeTables.icebergSchema(GpuSample.getClassSchema());

        assertThat(schema.columns().stream().map(Types.NestedField::name))
                .containsExactlyElementsOf(
                        GpuSample.getClassSchema().getFields().stream()
                                .map(Schema.Field::name)
                                .toList());
        assertThat(schema.findField("timestamp").type()).isEqualTo(Types.TimestampType.withZone());
        assertThat(schema.findField("event_id").isRequired()).isTrue();
        assertThat(schema.findField("gpu_index").type()).isEqualTo(Types.IntegerType.get());
        assertThat(schema.findField("memory_used_mib").type()).isEqualTo(Types.LongType.get());
        assertThat(schema.findField("memory_temperature_c").isOptional()).isTrue();
        assertThat(schema.findField("memory_temperature_c").type())
                .isEqualTo(Types.DoubleType.get());
        assertThat(schema.findField("mig_profile").isOptional()).isTrue();

        org.apache.iceberg.Schema dead = LakeTables.icebergSchema(DeadLetter.getClassSchema());
        assertThat(dead.findField("reason").type()).isEqualTo(Types.StringType.get());
        assertThat(dead.findField("original_value").type()).isEqualTo(Types.BinaryType.get());
        assertThat(dead.findField("schema_id").isOptional()).isTrue();
        // The generated class's schema is shared by every record: converting must not modify it.
        assertThat(
                        GpuSample.getClassSchema()
                                .getField("timestamp")
                                .schema()
                                .getProp("adjust-to-utc"))
                .isNull();
    }

    @Test
    void createsNamespaceAndTablePartitionedByDayAndKey() {
        Catalog catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse")).loadCatalog();

        Table table = LakeTables.ensureTable(catalog, GPU_SAMPLES);

        assertThat(((SupportsNamespaces) catalog).namespaceExists(Namespace.of("substrate")))
                .isTrue();
        assertThat(catalog.tableExists(LakeTables.identifier("gpu_samples"))).isTrue();
        List<PartitionField> fields = table.spec().fields();
        assertThat(fields).hasSize(2);
        assertThat(fields.get(0).transform().toString()).isEqualTo("day");
        assertThat(table.schema().findColumnName(fields.get(0).sourceId())).isEqualTo("timestamp");
        assertThat(fields.get(1).transform().isIdentity()).isTrue();
        assertThat(table.schema().findColumnName(fields.get(1).sourceId())).isEqualTo("cluster");
        assertThat(((HasTableOperations) table).operations().current().formatVersion())
                .isEqualTo(2);
        assertThat(table.currentSnapshot()).as("created empty").isNull();
        assertThat(LakeReader.countRows(catalog, "gpu_samples")).isZero();
    }

    @Test
    void ensureTableIsIdempotent() {
        Catalog catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse")).loadCatalog();
        Table first = LakeTables.ensureTable(catalog, GPU_SAMPLES);
        String metadata = metadataFile(first);

        Table second = LakeTables.ensureTable(catalog, GPU_SAMPLES);

        assertThat(second.uuid()).isEqualTo(first.uuid());
        assertThat(metadataFile(second)).as("no new commit").isEqualTo(metadata);
        assertThat(second.spec().specId()).isEqualTo(first.spec().specId());
        assertThat(second.schema().schemaId()).isEqualTo(first.schema().schemaId());
    }

    @Test
    void mainBranchIsCreatedOnceAndStaysEmpty() {
        Catalog catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse")).loadCatalog();
        Table table = LakeTables.ensureTable(catalog, GPU_SAMPLES);
        assertThat(table.refs()).doesNotContainKey(SnapshotRef.MAIN_BRANCH);

        LakeTables.ensureMainBranch(table);
        Table reloaded = catalog.loadTable(LakeTables.identifier("gpu_samples"));
        assertThat(reloaded.refs()).containsKey(SnapshotRef.MAIN_BRANCH);
        long snapshot = reloaded.currentSnapshot().snapshotId();
        assertThat(LakeReader.countRows(catalog, "gpu_samples")).isZero();

        // A second client that still sees the table without the branch loses the race quietly.
        LakeTables.ensureMainBranch(table);
        LakeTables.ensureMainBranch(reloaded);
        assertThat(
                        catalog.loadTable(LakeTables.identifier("gpu_samples"))
                                .currentSnapshot()
                                .snapshotId())
                .isEqualTo(snapshot);
    }

    @Test
    void concurrentCreatorsAllGetTheSameTable() throws Exception {
        LakeCatalogConfig config = LakeCatalogConfig.hadoop(dir.resolve("warehouse"));
        int creators = 4;
        CyclicBarrier start = new CyclicBarrier(creators);
        ExecutorService pool = Executors.newFixedThreadPool(creators);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < creators; i++) {
                Callable<String> create =
                        () -> {
                            Catalog own = config.loadCatalog();
                            start.await(10, TimeUnit.SECONDS);
                            return LakeTables.ensureTable(own, GPU_SAMPLES).uuid().toString();
                        };
                results.add(pool.submit(create));
            }
            Set<String> uuids = new java.util.HashSet<>();
            for (Future<String> result : results) {
                uuids.add(result.get(30, TimeUnit.SECONDS));
            }
            assertThat(uuids).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void olderTableGainsTheNewSchemasColumns() throws Exception {
        Schema v1;
        try (InputStream in =
                getClass().getClassLoader().getResourceAsStream("avro/history/GpuSample.v1.avsc")) {
            v1 = new Schema.Parser().parse(in);
        }
        Catalog catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse")).loadCatalog();
        Table old =
                LakeTables.ensureTable(
                        catalog, new LakeTableSpec("gpu_samples", v1, "timestamp", "cluster"));
        assertThat(old.schema().findField("power_limit_w")).isNull();
        int clusterId = old.schema().findField("cluster").fieldId();

        Table evolved = LakeTables.ensureTable(catalog, GPU_SAMPLES);

        assertThat(evolved.schema().findField("power_limit_w").isOptional()).isTrue();
        assertThat(evolved.schema().findField("mig_profile").type())
                .isEqualTo(Types.StringType.get());
        assertThat(evolved.schema().findField("cluster").fieldId()).isEqualTo(clusterId);
        assertThat(evolved.spec().fields()).hasSize(2);
    }

    @Test
    void rejectsANonTimestampTimeField() {
        Catalog catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse")).loadCatalog();
        LakeTableSpec wrong =
                new LakeTableSpec("bad", GpuSample.getClassSchema(), "event_id", "cluster");

        assertThatThrownBy(() -> LakeTables.ensureTable(catalog, wrong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timestampField 'event_id'");
        assertThatThrownBy(
                        () ->
                                new LakeTableSpec(
                                        "bad", GpuSample.getClassSchema(), "timestamp", "nope"))
                .hasMessageContaining("partitionField 'nope'");
    }

    @Test
    void jdbcCatalogOnSqlite() {
        LakeCatalogConfig config =
                LakeCatalogConfig.jdbc(
                        "jdbc:sqlite:" + dir.resolve("catalog.db"),
                        dir.resolve("warehouse").toString());
        Catalog catalog = config.loadCatalog();

        Table table =
                LakeTables.ensureTable(
                        catalog,
                        new LakeTableSpec(
                                "dead_letters",
                                DeadLetter.getClassSchema(),
                                "dead_lettered_at",
                                "source_topic"));

        assertThat(catalog).isInstanceOf(org.apache.iceberg.jdbc.JdbcCatalog.class);
        assertThat(table.spec().fields().stream().map(f -> f.name()).collect(Collectors.toList()))
                .containsExactly("dead_lettered_at_day", "source_topic");
        assertThat(config.loadCatalog().tableExists(LakeTables.identifier("dead_letters")))
                .isTrue();
        assertThat(table.schema().findField("dead_lettered_at").type().typeId())
                .isEqualTo(Type.TypeID.TIMESTAMP);
    }

    private static String metadataFile(Table table) {
        return ((HasTableOperations) table).operations().current().metadataFileLocation();
    }
}
