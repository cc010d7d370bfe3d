package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.DeadLetter;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IcebergLakeSinkTest {

    private static final LakeTableSpec DEAD_LETTERS =
            new LakeTableSpec(
                    "dead_letters",
                    DeadLetter.getClassSchema(),
                    "dead_lettered_at",
                    "source_topic");

    @TempDir Path dir;

    @Test
    void createsTheTableAtBuildTimeAndSetsStableUids() {
        LakeCatalogConfig catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse"));
        StreamExecutionEnvironment env = noKryo();
        env.setParallelism(2);

        IcebergLakeSink.append(deadLetters(env), catalog, DEAD_LETTERS);

        assertThat(catalog.loadCatalog().tableExists(LakeTables.identifier("dead_letters")))
                .as("created when the job is built")
                .isTrue();
        List<String> uids =
                env.getStreamGraph().getStreamNodes().stream()
                        .map(StreamNode::getTransformationUID)
                        .filter(Objects::nonNull)
                        .toList();
        // The sink's uid is the writer's; Flink derives the aggregator's and committer's from it.
        assertThat(uids)
                .contains(
                        "lake-dead_letters-rowdata",
                        "lake-dead_letters",
                        "Sink Committer: lake-dead_letters");
        assertThat(uids).anyMatch(u -> u.contains("pre-commit aggregator: lake-dead_letters"));
    }

    @Test
    void aLowVolumeTableHasOneWriter() {
        LakeCatalogConfig catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse"));
        StreamExecutionEnvironment env = noKryo();
        env.setParallelism(2);

        IcebergLakeSink.append(
                deadLetters(env), catalog, DEAD_LETTERS, IcebergLakeSink.LOW_VOLUME_WRITERS);

        StreamNode writer =
                env.getStreamGraph().getStreamNodes().stream()
                        .filter(n -> "lake-dead_letters".equals(n.getTransformationUID()))
                        .findFirst()
                        .orElseThrow();
        assertThat(writer.getParallelism()).isEqualTo(1);
    }

    @Test
    void refusesAStreamOfAnotherRecordType() {
        LakeCatalogConfig catalog = LakeCatalogConfig.hadoop(dir.resolve("warehouse"));
        StreamExecutionEnvironment env = noKryo();
        DataStream<AuditEvent> audits =
                env.fromSource(
                        new DataGeneratorSource<>(
                                (GeneratorFunction<Long, AuditEvent>)
                                        i -> {
                                            throw new UnsupportedOperationException();
                                        },
                                1,
                                new AvroTypeInfo<>(AuditEvent.class)),
                        WatermarkStrategy.noWatermarks(),
                        "audits");

        assertThatThrownBy(() -> IcebergLakeSink.append(audits, catalog, DEAD_LETTERS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dead_letters")
                .hasMessageContaining(AuditEvent.class.getName());
    }

    private static DataStream<DeadLetter> deadLetters(StreamExecutionEnvironment env) {
        return env.fromSource(
                new DataGeneratorSource<>(
                        (GeneratorFunction<Long, DeadLetter>) IcebergLakeSinkITCase::deadLetter,
                        10,
                        new AvroTypeInfo<>(DeadLetter.class)),
                WatermarkStrategy.noWatermarks(),
                "dead letters");
    }

    /** As every Substrate job: building the graph fails if any edge would need Kryo. */
    private static StreamExecutionEnvironment noKryo() {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        return StreamExecutionEnvironment.getExecutionEnvironment(config);
    }
}
