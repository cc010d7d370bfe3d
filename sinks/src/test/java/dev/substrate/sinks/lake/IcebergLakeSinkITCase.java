package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.testkit.GpuSamples;
import dev.substrate.testkit.MiniClusters;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded job at parallelism 2 with 500 ms checkpoints writes GPU samples and dead letters to a
 * Hadoop catalog; afterwards every row is in its table exactly once, in the right partition.
 */
class IcebergLakeSinkITCase {

    private static final int PARALLELISM = 2;
    private static final int SAMPLES = 2_000;
    private static final int DEAD_LETTERS = 50;
    private static final List<String> CLUSTERS = List.of("iad-a", "fra-b", "sin-c");
    private static final Instant DAY_ONE = Instant.parse("2026-11-25T00:00:00Z");

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @TempDir Path dataDir;

    @Test
    @Timeout(120)
    void writesEveryRecordOnceIntoDayAndKeyPartitions() throws Exception {
        LakeCatalogConfig catalogConfig = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(PARALLELISM);
        env.enableCheckpointing(500);

        // 800 samples a second: the run spans several checkpoints, so rows are committed by
        // checkpoints during the run as well as by the final checkpoint at the end.
        DataStream<GpuSample> samples =
                env.fromSource(
                        new DataGeneratorSource<>(
                                (GeneratorFunction<Long, GpuSample>) IcebergLakeSinkITCase::sample,
                                SAMPLES,
                                RateLimiterStrategy.perSecond(800),
                                new AvroTypeInfo<>(GpuSample.class)),
                        WatermarkStrategy.noWatermarks(),
                        "gpu samples");
        DataStream<DeadLetter> deadLetters =
                env.fromSource(
                        new DataGeneratorSource<>(
                                (GeneratorFunction<Long, DeadLetter>)
                                        IcebergLakeSinkITCase::deadLetter,
                                DEAD_LETTERS,
                                new AvroTypeInfo<>(DeadLetter.class)),
                        WatermarkStrategy.noWatermarks(),
                        "dead letters");

        IcebergLakeSink.append(samples, catalogConfig, LakeTableSpec.of(EventType.GPU_SAMPLE));
        IcebergLakeSink.append(deadLetters, catalogConfig, LakeTableSpec.of(EventType.DEAD_LETTER));
        env.execute("lake sink ITCase");
        Catalog catalog = catalogConfig.loadCatalog();
        assertGpuSamples(catalog);
        assertDeadLetters(catalog);
        assertWrittenByTheWarehouseFileSystem(dataDir.resolve("warehouse"));
    }

    /**
     * Hadoop's checksummed local file system would have left a .crc file beside every data,
     * manifest and metadata file; LocalWarehouseFileSystem writes none, and sets the permissions
     * Hadoop asks for (rw-r--r-- for files under the default umask) without forking chmod.
     */
    private static void assertWrittenByTheWarehouseFileSystem(Path warehouse) throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(warehouse)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anyMatch(f -> f.toString().endsWith(".parquet"));
        assertThat(files).noneMatch(f -> f.getFileName().toString().endsWith(".crc"));
        Path dataFile =
                files.stream().filter(f -> f.toString().endsWith(".parquet")).findFirst().get();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataFile)))
                .isEqualTo("rw-r--r--");
    }

    private static void assertGpuSamples(Catalog catalog) throws Exception {
        assertThat(LakeReader.countRows(catalog, "gpu_samples")).isEqualTo(SAMPLES);
        List<Record> rows = LakeReader.readAll(catalog, "gpu_samples");
        Map<String, Record> byId =
                rows.stream()
                        .collect(
                                Collectors.toMap(
                                        r -> (String) r.getField("event_id"), Function.identity()));
        assertThat(byId).as("no duplicates").hasSize(SAMPLES);
        for (long i = 0; i < SAMPLES; i++) {
            assertThat(byId).containsKey("gpu-" + i);
        }
        for (long i : new long[] {0, 1, 2, 999, 1_234, SAMPLES - 1}) {
            GpuSample expected = sample(i);
            Record row = byId.get("gpu-" + i);
            assertThat(row.getField("timestamp"))
                    .isEqualTo(OffsetDateTime.ofInstant(expected.getTimestamp(), ZoneOffset.UTC));
            assertThat(row.getField("cluster")).isEqualTo(expected.getCluster());
            assertThat(row.getField("node")).isEqualTo(expected.getNode());
            assertThat(row.getField("gpu_index")).isEqualTo(expected.getGpuIndex());
            assertThat(row.getField("utilization_pct")).isEqualTo(expected.getUtilizationPct());
            assertThat(row.getField("memory_used_mib")).isEqualTo(expected.getMemoryUsedMib());
            assertThat(row.getField("clock_event_reasons"))
                    .isEqualTo(expected.getClockEventReasons());
            assertThat(row.getField("memory_temperature_c"))
                    .isEqualTo(expected.getMemoryTemperatureC());
            assertThat(row.getField("mig_profile")).isEqualTo(expected.getMigProfile());
        }

        Table table = catalog.loadTable(LakeTables.identifier("gpu_samples"));
        // Every data file holds one (day, cluster) partition, and each partition holds exactly
        // the generated rows of that day and cluster.
        Map<String, Long> expectedPerPartition = new TreeMap<>();
        for (long i = 0; i < SAMPLES; i++) {
            GpuSample s = sample(i);
            LocalDate day = LocalDate.ofInstant(s.getTimestamp(), ZoneOffset.UTC);
            expectedPerPartition.merge(
                    "timestamp_day=" + day + "/cluster=" + s.getCluster(), 1L, Long::sum);
        }
        assertThat(expectedPerPartition).hasSize(6);
        Map<String, Long> actualPerPartition = new TreeMap<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask task : tasks) {
                String path = task.file().location();
                String partition = partitionPath(table, task);
                assertThat(path).contains("/data/" + partition + "/");
                actualPerPartition.merge(partition, task.file().recordCount(), Long::sum);
            }
        }
        assertThat(actualPerPartition).isEqualTo(expectedPerPartition);

        List<Snapshot> snapshots = snapshots(table);
        assertThat(snapshots)
                .allSatisfy(
                        s -> {
                            assertThat(s.operation()).isEqualTo("append");
                            assertThat(s.summary())
                                    .containsKey("flink.max-committed-checkpoint-id");
                        });
        assertThat(snapshots.stream().mapToLong(IcebergLakeSinkITCase::addedRecords).sum())
                .as("rows added over all commits")
                .isEqualTo(SAMPLES);
        assertThat(snapshots).as("commits on checkpoints during the run").hasSizeGreaterThan(1);
    }

    private static void assertDeadLetters(Catalog catalog) {
        List<Record> rows = LakeReader.readAll(catalog, "dead_letters");
        assertThat(rows).hasSize(DEAD_LETTERS);
        Set<Long> offsets =
                rows.stream()
                        .map(r -> (Long) r.getField("source_offset"))
                        .collect(Collectors.toSet());
        assertThat(offsets).hasSize(DEAD_LETTERS);
        Map<Long, Record> byOffset = new HashMap<>();
        rows.forEach(r -> byOffset.put((Long) r.getField("source_offset"), r));
        for (long i = 0; i < DEAD_LETTERS; i++) {
            DeadLetter expected = deadLetter(i);
            Record row = byOffset.get(expected.getSourceOffset());
            assertThat(row).as("dead letter at offset %d", expected.getSourceOffset()).isNotNull();
            assertThat(row.getField("source_topic")).isEqualTo(expected.getSourceTopic());
            assertThat(row.getField("reason")).isEqualTo(expected.getReason().name());
            assertThat(row.getField("schema_id")).isEqualTo(expected.getSchemaId());
            assertThat(row.getField("original_value"))
                    .isEqualTo(expected.getOriginalValue().duplicate());
            assertThat(row.getField("dead_lettered_at"))
                    .isEqualTo(
                            OffsetDateTime.ofInstant(expected.getDeadLetteredAt(), ZoneOffset.UTC));
        }
    }

    /** Deterministic sample i: three clusters, two days, a few nulls. */
    static GpuSample sample(long i) {
        String cluster = CLUSTERS.get((int) (i % CLUSTERS.size()));
        Instant timestamp = DAY_ONE.plus(Duration.ofDays(i % 2)).plusMillis(i * 250);
        return GpuSamples.reading(cluster, cluster + "-node-" + (i % 7), (int) (i % 8), timestamp)
                .setEventId("gpu-" + i)
                .setRegion("region-" + cluster)
                .setGpuUuid("GPU-" + (i % 56))
                .setUtilizationPct((i * 7) % 101)
                .setMemoryUtilizationPct((i * 3) % 101)
                .setMemoryUsedMib(1_000L + i)
                .setTemperatureC(40.0 + (i % 33))
                .setMemoryTemperatureC(i % 5 == 0 ? null : 50.0 + (i % 20))
                .setPowerDrawW(100.0 + (i % 600))
                .setClockEventReasons(i % 11 == 0 ? 0x4L : 0L)
                .setEccCorrected(i % 13)
                .setMigProfile(i % 4 == 0 ? "1g.10gb" : null)
                .build();
    }

    static DeadLetter deadLetter(long i) {
        Instant at = DAY_ONE.plusSeconds(i);
        return DeadLetter.newBuilder()
                .setSourceTopic(i % 2 == 0 ? "substrate.gpu-samples" : "substrate.audit-events")
                .setSourcePartition((int) (i % 3))
                .setSourceOffset(10_000L + i)
                .setSourceTimestamp(at)
                .setDeadLetteredAt(at.plusMillis(5))
                .setSchemaId(i % 3 == 0 ? null : (int) i)
                .setReason(i % 2 == 0 ? DeadLetterReason.NOT_WIRE_FORMAT : DeadLetterReason.OTHER)
                .setRule(null)
                .setMessage("bad record " + i)
                .setOriginalKey(null)
                .setOriginalValue(ByteBuffer.wrap(new byte[] {1, 2, (byte) i}))
                .build();
    }

    private static String partitionPath(Table table, FileScanTask task) {
        return table.specs().get(task.file().specId()).partitionToPath(task.file().partition());
    }

    private static List<Snapshot> snapshots(Table table) {
        return java.util.stream.StreamSupport.stream(table.snapshots().spliterator(), false)
                .toList();
    }

    private static long addedRecords(Snapshot snapshot) {
        return Long.parseLong(snapshot.summary().getOrDefault("added-records", "0"));
    }
}
