package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.Sourced;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.Schema;
import org.apache.flink.util.Collector;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.flink.sink.dynamic.DynamicRecord;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator writes every record with the table's columns by schema: every registered version's
 * fields, whatever the values, the same in every writer, following new versions and new table
 * columns while it runs.
 */
class ProjectingRecordGeneratorTest {

    private static final String SUBJECT = "substrate.gpu-samples-value";
    private static final LakeTableSpec SPEC = LakeTableSpec.of(EventType.GPU_SAMPLE);
    private static final Set<String> PIPELINE = Set.of("quality_tags");
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path dir;

    private EmbeddedSchemaRegistry registry;
    private SchemaRegistryClient client;
    private LakeCatalogConfig catalog;
    private final List<ProjectingRecordGenerator<GpuSample>> opened = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        registry = EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
        catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse"));
    }

    @AfterEach
    void stop() {
        opened.forEach(ProjectingRecordGenerator::close);
        client.close();
        registry.close();
    }

    @Test
    void everyWriterWritesEveryRegisteredVersionsFieldsWhateverTheValue() throws Exception {
        client.register(SUBJECT, version(1));
        // An older producer registers its schema without xid: it becomes the latest version.
        client.register(SUBJECT, without(version(1), "xid"));

        List<String> columns = buildTable(sources(registry.url(), Duration.ofMinutes(10)));
        assertThat(columns)
                .contains("xid", "pstate", "quality_tags")
                .doesNotContain("power_limit_w");

        ProjectingRecordGenerator<GpuSample> a =
                open(columns, sources(registry.url(), Duration.ofMinutes(10)));
        ProjectingRecordGenerator<GpuSample> b =
                open(columns, sources(registry.url(), Duration.ofMinutes(10)));
        DynamicRecord zero = generate(b, sample(1, 0));
        DynamicRecord thirteen = generate(a, sample(2, 13));
        assertThat(field(zero, "xid")).as("0 is written as 0").isEqualTo(0);
        assertThat(field(thirteen, "xid")).isEqualTo(13);
        assertThat(names(zero)).isEqualTo(names(thirteen));
    }

    @Test
    void aVersionRegisteredWhileRunningBecomesAColumnWithoutAnyRecordCarryingIt() throws Exception {
        ProjectingRecordGenerator<GpuSample> generator = writerOnVersion1(Duration.ofMillis(100));
        assertThat(names(generate(generator, sample(1, 0)))).doesNotContain("power_limit_w");

        client.register(SUBJECT, version(2));
        DynamicRecord written = generateUntilColumn(generator, "mig_profile");
        assertThat(names(written)).contains("power_limit_w", "mig_profile");
        assertThat(field(written, "power_limit_w")).isNull();
    }

    @Test
    void aWriterSchemaSeenForTheFirstTimeGivesItsColumnsToItsFirstRowWhateverTheValues()
            throws Exception {
        ProjectingRecordGenerator<GpuSample> generator = writerOnVersion1(Duration.ofMinutes(10));
        int version2 = client.register(SUBJECT, version(2)); // long before the next refresh

        GpuSample defaults = sample(1, 0); // power_limit_w and mig_profile at their defaults
        DynamicRecord first = generate(generator, defaults, version2);

        assertThat(names(first)).contains("power_limit_w", "mig_profile");
        assertThat(field(first, "power_limit_w")).isNull();
    }

    @Test
    void aRestartedWriterStartsWithTheVersionsRegisteredSinceTheJobWasBuilt() throws Exception {
        client.register(SUBJECT, version(1));
        EvolvingLakeSink.SchemaSource schemas = sources(registry.url(), Duration.ofMinutes(10));
        List<String> columns = buildTable(schemas);
        client.register(SUBJECT, version(2));

        ProjectingRecordGenerator<GpuSample> generator = open(columns, schemas);
        assertThat(names(generate(generator, sample(1, 0))))
                .as("the first record, long before the next refresh")
                .contains("power_limit_w", "mig_profile");
    }

    @Test
    void aValueSeenBeforeItsVersionKeepsItsColumnAndTheRestOfTheVersionFollows() throws Exception {
        ProjectingRecordGenerator<GpuSample> generator = writerOnVersion1(Duration.ofMinutes(10));
        client.register(SUBJECT, version(2)); // after this writer's last refresh

        GpuSample ahead = sample(1, 0);
        ahead.setPowerLimitW(700.0);
        DynamicRecord kept = generate(generator, ahead);
        assertThat(field(kept, "power_limit_w")).as("never dropped").isEqualTo(700.0);
        // The value made the writer ask the registry again, long before its next refresh.
        assertThat(names(generateUntilColumn(generator, "mig_profile"))).contains("mig_profile");
    }

    @Test
    void aColumnTheTableGainedElsewhereIsWrittenByEveryWriter() throws Exception {
        ProjectingRecordGenerator<GpuSample> generator = writerOnVersion1(Duration.ofMillis(100));

        Catalog opened = catalog.loadCatalog();
        try {
            Table table = opened.loadTable(LakeTables.identifier(SPEC.name()));
            table.updateSchema()
                    .addColumn("mig_profile", Types.StringType.get())
                    .commit(); // another writer added it
        } finally {
            LakeTables.close(opened);
        }
        assertThat(names(generateUntilColumn(generator, "mig_profile")))
                .doesNotContain("power_limit_w");
    }

    @Test
    void anUnreachableRegistryLeavesTheColumnsAsBuilt() throws Exception {
        client.register(SUBJECT, version(1));
        List<String> columns = buildTable(sources(registry.url(), Duration.ofMinutes(10)));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ProjectingRecordGenerator<GpuSample> generator =
                open(columns, sources("http://127.0.0.1:" + port, Duration.ofMinutes(10)));
        assertThat(names(generate(generator, sample(1, 0)))).containsExactlyElementsOf(columns);
    }

    @Test
    void theRefresherEndsWithTheTaskThreadThatStartedIt() throws Exception {
        client.register(SUBJECT, version(1));
        EvolvingLakeSink.SchemaSource schemas = sources(registry.url(), Duration.ofMillis(50));
        List<String> columns = buildTable(schemas);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread task =
                new Thread(
                        () -> {
                            try {
                                generate(open(columns, schemas), sample(1, 0));
                            } catch (Throwable t) {
                                failed.set(t);
                            }
                        });
        task.start();
        task.join();
        assertThat(failed.get()).isNull();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (refresherThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(refresherThreads()).as("no refresher outlives its task").isZero();
    }

    /** A writer of a table built while the subject has version 1 only. */
    private ProjectingRecordGenerator<GpuSample> writerOnVersion1(Duration refresh)
            throws Exception {
        client.register(SUBJECT, version(1));
        EvolvingLakeSink.SchemaSource schemas = sources(registry.url(), refresh);
        return open(buildTable(schemas), schemas);
    }

    private static long refresherThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("lake-columns-" + SPEC.name()) && t.isAlive())
                .count();
    }

    private static EvolvingLakeSink.SchemaSource sources(String url, Duration refresh) {
        return new EvolvingLakeSink.SchemaSource(
                SchemaRegistryConfig.of(url).withTimeout(Duration.ofSeconds(2)),
                SUBJECT,
                PIPELINE,
                refresh);
    }

    /** Creates the table as the job build does and returns the columns it started with. */
    private List<String> buildTable(EvolvingLakeSink.SchemaSource schemas) {
        Schema reader = GpuSample.getClassSchema();
        List<String> columns =
                EvolvingLakeSink.initialColumns(
                        reader, EvolvingLakeSink.registeredFields(schemas), PIPELINE, Set.of());
        Catalog opened = catalog.loadCatalog();
        try {
            LakeTables.ensureTable(
                    opened,
                    new LakeTableSpec(
                            SPEC.name(),
                            EvolvingLakeSink.project(reader, columns),
                            SPEC.timestampField(),
                            SPEC.partitionField()));
        } finally {
            LakeTables.close(opened);
        }
        return columns;
    }

    private ProjectingRecordGenerator<GpuSample> open(
            List<String> columns, EvolvingLakeSink.SchemaSource schemas) {
        ProjectingRecordGenerator<GpuSample> generator =
                new ProjectingRecordGenerator<>(
                        GpuSample.class, SPEC, columns, schemas, catalog.catalogLoader());
        generator.open(null);
        synchronized (opened) {
            opened.add(generator);
        }
        return generator;
    }

    /** Writes a record decoded from the first schema the registry handed out (id 1). */
    private static DynamicRecord generate(
            ProjectingRecordGenerator<GpuSample> generator, GpuSample sample) {
        return generate(generator, sample, 1);
    }

    private static DynamicRecord generate(
            ProjectingRecordGenerator<GpuSample> generator, GpuSample sample, int writerSchemaId) {
        List<DynamicRecord> out = new ArrayList<>();
        generator.generate(
                Sourced.<GpuSample>builder()
                        .record(sample)
                        .partition(0)
                        .offset(0)
                        .schemaId(writerSchemaId)
                        .value(new byte[] {0})
                        .build(),
                new Collector<>() {
                    @Override
                    public void collect(DynamicRecord record) {
                        out.add(record);
                    }

                    @Override
                    public void close() {}
                });
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    /** Writes records carrying no value in {@code column} until it is a column. */
    private static DynamicRecord generateUntilColumn(
            ProjectingRecordGenerator<GpuSample> generator, String column)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (int i = 0; ; i++) {
            DynamicRecord written = generate(generator, sample(i, 0));
            if (names(written).contains(column)) {
                return written;
            }
            assertThat(System.nanoTime())
                    .as("column %s within %s", column, WAIT)
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static GpuSample sample(long i, int xid) {
        GpuSample sample = IcebergLakeSinkITCase.sample(i);
        sample.setPowerLimitW(null);
        sample.setMigProfile(null);
        sample.setXid(xid);
        return sample;
    }

    private static List<String> names(DynamicRecord record) {
        return record.schema().columns().stream().map(Types.NestedField::name).toList();
    }

    private static Object field(DynamicRecord record, String name) {
        int pos = names(record).indexOf(name);
        assertThat(pos).as("column %s", name).isNotNegative();
        if (record.rowData().isNullAt(pos)) {
            return null;
        }
        return switch (record.schema().findField(name).type().typeId()) {
            case INTEGER -> record.rowData().getInt(pos);
            case DOUBLE -> record.rowData().getDouble(pos);
            default -> record.rowData().getString(pos).toString();
        };
    }

    private static Schema version(int n) {
        return SchemaHistory.versions("GpuSample").get(n - 1);
    }

    private static Schema without(Schema schema, String field) {
        List<String> kept =
                schema.getFields().stream()
                        .map(Schema.Field::name)
                        .filter(name -> !name.equals(field))
                        .toList();
        return EvolvingLakeSink.project(schema, kept);
    }
}
