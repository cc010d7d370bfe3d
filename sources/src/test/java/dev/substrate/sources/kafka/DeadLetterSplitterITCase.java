package dev.substrate.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Either;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The splitter on a MiniCluster at parallelism 2, with generic (Kryo) types disabled. */
class DeadLetterSplitterITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @Test
    void routesRecordsToTheMainOutputAndDeadLettersToTheSideOutput() throws Exception {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        List<Either<DeadLetter, GpuSample>> input = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            input.add(
                    i % 10 == 0 ? Either.Left(deadLetter(i)) : Either.Right(TestSamples.sample(i)));
        }

        DataStream<Either<DeadLetter, GpuSample>> decoded =
                env.fromData(
                                input,
                                RegistryAwareDeserializationSchema.producedType(GpuSample.class))
                        .rebalance();
        SingleOutputStreamOperator<GpuSample> samples =
                DeadLetterSplitter.split(decoded, "gpu_samples");
        CloseableIterator<GpuSample> good = samples.collectAsync();
        CloseableIterator<DeadLetter> bad =
                samples.getSideOutput(DeadLetterSplitter.DEAD_LETTERS).collectAsync();
        env.execute("dead-letter-splitter");

        List<GpuSample> goodOut = new ArrayList<>();
        good.forEachRemaining(goodOut::add);
        List<DeadLetter> badOut = new ArrayList<>();
        bad.forEachRemaining(badOut::add);
        good.close();
        bad.close();
        assertThat(goodOut).hasSize(90).contains(TestSamples.sample(1), TestSamples.sample(99));
        assertThat(badOut)
                .hasSize(10)
                .extracting(DeadLetter::getSourceOffset)
                .containsExactlyInAnyOrder(0L, 10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L);
        assertThat(samples.getType())
                .isEqualTo(RegistryAwareDeserializationSchema.avroTypeInfo(GpuSample.class));
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
