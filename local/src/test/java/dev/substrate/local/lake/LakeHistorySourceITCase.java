package dev.substrate.local.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sinks.lake.LakeTables;
import dev.substrate.testkit.GpuSamples;
import dev.substrate.testkit.MiniClusters;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LakeHistorySource} over a real Iceberg table written in three commits (three files, an
 * hour apart): only the interval's rows come back, in event-time order, and the file wholly before
 * the interval is never opened (its Parquet file is deleted before the read, so opening it would
 * fail the job).
 */
class LakeHistorySourceITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final Instant DAY = Instant.parse("2026-11-26T00:00:00Z");

    @TempDir Path dataDir;

    @Test
    void readsOnlyTheIntervalInEventTimeOrderAndNeverOpensFilesOutsideIt() throws Exception {
        LakeCatalogConfig lake = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));
        // Written out of time order, each batch shuffled: the source must sort.
        List<GpuSample> late = batch(DAY.plus(Duration.ofHours(2)));
        List<GpuSample> early = batch(DAY);
        List<GpuSample> middle = batch(DAY.plus(Duration.ofHours(1)));
        write(lake, late);
        Set<String> earlyFiles = write(lake, early);
        write(lake, middle);
        Catalog catalog = lake.catalogLoader().loadCatalog();
        Table table = catalog.loadTable(LakeTables.identifier(EventType.GPU_SAMPLE.tableName()));
        assertThat(dataFiles(table)).hasSizeGreaterThanOrEqualTo(3);
        for (String file : earlyFiles) {
            Files.delete(file.startsWith("file:") ? Paths.get(URI.create(file)) : Paths.get(file));
        }

        Instant from = DAY.plus(Duration.ofMinutes(65));
        Instant to = DAY.plus(Duration.ofMinutes(125));
        LakeHistorySource<GpuSample> history = samples(lake, from, to);
        List<Instant> read = new ArrayList<>();
        JobExecutionResult result = read(history, s -> read.add(s.getTimestamp()));

        List<Instant> expected = new ArrayList<>();
        for (List<GpuSample> batch : List.of(early, middle, late)) {
            for (GpuSample s : batch) {
                if (!s.getTimestamp().isBefore(from) && s.getTimestamp().isBefore(to)) {
                    expected.add(s.getTimestamp());
                }
            }
        }
        expected.sort(null);
        assertThat(expected).hasSize(10);
        assertThat(read).containsExactlyElementsOf(expected);
        assertThat(history.rowsRead(result)).isEqualTo(10);
    }

    @Test
    void aTableTheLakeDoesNotHaveIsAnEmptyHistory() throws Exception {
        LakeCatalogConfig lake = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));
        LakeHistorySource<GpuSample> history = samples(lake, DAY, DAY.plus(Duration.ofDays(1)));
        List<GpuSample> read = new ArrayList<>();
        JobExecutionResult result = read(history, read::add);
        assertThat(read).isEmpty();
        assertThat(history.rowsRead(result)).isZero();
    }

    @Test
    void aCheckpointedJobIsRefusedWithTheFix() {
        LakeCatalogConfig lake = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));
        StreamExecutionEnvironment env = environment();
        env.enableCheckpointing(1_000);
        assertThatThrownBy(
                        () ->
                                samples(lake, DAY, DAY.plus(Duration.ofDays(1)))
                                        .read(env, WatermarkStrategy.noWatermarks()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("disable checkpointing");
    }

    private static LakeHistorySource<GpuSample> samples(
            LakeCatalogConfig lake, Instant from, Instant to) {
        return LakeHistorySource.builder(GpuSample.class)
                .catalog(lake.catalogLoader())
                .table(EventType.GPU_SAMPLE.tableName())
                .timeColumn("timestamp")
                .from(from)
                .to(to)
                .build();
    }

    private static JobExecutionResult read(
            LakeHistorySource<GpuSample> history, Consumer<GpuSample> each) throws Exception {
        StreamExecutionEnvironment env = environment();
        return LakeHistorySource.run(
                env, history.read(env, WatermarkStrategy.noWatermarks()), "read history", each);
    }

    /** Ten readings, a minute apart from {@code start}, in shuffled order. */
    private static List<GpuSample> batch(Instant start) {
        List<GpuSample> out = new ArrayList<>();
        for (int minute : new int[] {7, 2, 9, 0, 5, 3, 8, 1, 6, 4}) {
            out.add(
                    GpuSamples.idle(
                            "eu-west", "c1", "n1", 0, start.plus(Duration.ofMinutes(minute))));
        }
        return out;
    }

    /** Appends the samples in one job; returns the data files it added. */
    private static Set<String> write(LakeCatalogConfig lake, List<GpuSample> samples)
            throws Exception {
        Catalog catalog = lake.catalogLoader().loadCatalog();
        Set<String> before =
                catalog.tableExists(LakeTables.identifier(EventType.GPU_SAMPLE.tableName()))
                        ? dataFiles(
                                catalog.loadTable(
                                        LakeTables.identifier(EventType.GPU_SAMPLE.tableName())))
                        : Set.of();
        StreamExecutionEnvironment env = environment();
        env.enableCheckpointing(500);
        IcebergLakeSink.append(
                env.fromData(samples, new AvroTypeInfo<>(GpuSample.class)),
                lake,
                LakeTableSpec.of(EventType.GPU_SAMPLE));
        env.execute("write " + samples.size() + " samples");
        Set<String> files =
                dataFiles(
                        lake.catalogLoader()
                                .loadCatalog()
                                .loadTable(
                                        LakeTables.identifier(EventType.GPU_SAMPLE.tableName())));
        files.removeAll(before);
        assertThat(files).isNotEmpty();
        return files;
    }

    private static Set<String> dataFiles(Table table) throws Exception {
        table.refresh();
        Set<String> files = new HashSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask task : tasks) {
                files.add(task.file().location());
            }
        }
        return files;
    }

    private static StreamExecutionEnvironment environment() {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(1);
        return env;
    }
}
