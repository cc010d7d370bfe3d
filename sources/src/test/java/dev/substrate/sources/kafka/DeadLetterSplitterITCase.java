package dev.substrate.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import dev.substrate.events.KafkaHeader;
import dev.substrate.schemas.wire.ReplayHeader;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import dev.substrate.testkit.MiniClusters;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Either;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The splitter on a MiniCluster at parallelism 2, with generic (Kryo) types disabled: decoded
 * records keep their provenance through the shuffles ({@link
 * dev.substrate.schemas.wire.SourcedSerializer}).
 */
class DeadLetterSplitterITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @Test
    void routesRecordsToTheMainOutputAndDeadLettersToTheSideOutput() throws Exception {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        List<Either<DeadLetter, Sourced<GpuSample>>> input = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            input.add(i % 10 == 0 ? Either.Left(deadLetter(i)) : Either.Right(sourced(i)));
        }

        // Both shuffles serialize: the Either before the split, the Sourced records after it.
        DataStream<Either<DeadLetter, Sourced<GpuSample>>> decoded =
                env.fromData(
                                input,
                                RegistryAwareDeserializationSchema.producedType(GpuSample.class))
                        .rebalance();
        SingleOutputStreamOperator<Sourced<GpuSample>> samples =
                DeadLetterSplitter.split(decoded, "gpu_samples");
        CloseableIterator<Sourced<GpuSample>> good = samples.rebalance().collectAsync();
        CloseableIterator<DeadLetter> bad =
                samples.getSideOutput(DeadLetterSplitter.DEAD_LETTERS).collectAsync();
        env.execute("dead-letter-splitter");

        List<Sourced<GpuSample>> goodOut = new ArrayList<>();
        good.forEachRemaining(goodOut::add);
        List<DeadLetter> badOut = new ArrayList<>();
        bad.forEachRemaining(badOut::add);
        good.close();
        bad.close();
        assertThat(goodOut)
                .hasSize(90)
                .extracting(Sourced::record)
                .contains(TestSamples.sample(1), TestSamples.sample(99));
        assertThat(goodOut)
                .allSatisfy(
                        s -> {
                            int i = (int) s.offset();
                            assertThat(s.record()).isEqualTo(TestSamples.sample(i));
                            assertThat(s.partition()).isEqualTo(i % 2);
                            assertThat(s.timestamp()).isEqualTo(1_000L + i);
                            assertThat(s.schemaId()).isEqualTo(7);
                            assertThat(s.value()).isEqualTo(new byte[] {0, 0, 0, 0, 7, (byte) i});
                            assertThat(s.key())
                                    .isEqualTo(i % 3 == 0 ? null : new byte[] {(byte) i});
                            assertThat(s.headers()).isEqualTo(headers(i));
                            assertThat(s.replayOf())
                                    .isEqualTo(i % 4 == 0 ? "substrate.gpu-samples/0/" + i : null);
                        });
        assertThat(badOut)
                .hasSize(10)
                .extracting(DeadLetter::getSourceOffset)
                .containsExactlyInAnyOrder(0L, 10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L);
        assertThat(samples.getType())
                .isEqualTo(
                        new SourcedTypeInfo<>(
                                RegistryAwareDeserializationSchema.avroTypeInfo(GpuSample.class)));
    }

    private static Sourced<GpuSample> sourced(int i) {
        return Sourced.<GpuSample>builder()
                .record(TestSamples.sample(i))
                .partition(i % 2)
                .offset(i)
                .timestamp(1_000L + i)
                .schemaId(7)
                .key(i % 3 == 0 ? null : new byte[] {(byte) i})
                .value(new byte[] {0, 0, 0, 0, 7, (byte) i})
                .headers(headers(i))
                .build();
    }

    /** None, a header without a value, or a replay marker (with a repeated key before it). */
    private static List<KafkaHeader> headers(int i) {
        if (i % 4 == 0) {
            return List.of(
                    header(ReplayHeader.NAME, "stale"),
                    header(ReplayHeader.NAME, ReplayHeader.value("substrate.gpu-samples", 0, i)));
        }
        return i % 4 == 1 ? List.of(new KafkaHeader("no-value", null)) : List.of();
    }

    private static KafkaHeader header(String key, String value) {
        return new KafkaHeader(key, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    }

    private static DeadLetter deadLetter(long offset) {
        return DeadLetter.newBuilder()
                .setSourceTopic("substrate.gpu-samples")
                .setSourcePartition(0)
                .setSourceOffset(offset)
                .setSourceTimestamp(Instant.EPOCH)
                .setDeadLetteredAt(Instant.EPOCH)
                .setReason(DeadLetterReason.NOT_WIRE_FORMAT)
                .setMessage("magic byte is 0x7B")
                .build();
    }
}
