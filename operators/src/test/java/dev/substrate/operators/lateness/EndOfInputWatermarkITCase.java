package dev.substrate.operators.lateness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source that has gone idle, then {@code stop-with-savepoint --drain}: with {@link
 * EndOfInputWatermark} behind the source the open window fires at the drain; without it, it does
 * not (Flink drops the idle source's final watermark), which is what kept the last quality report
 * window of a bounded local run out of the lake.
 */
class EndOfInputWatermarkITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final int READINGS = 10;
    private static final Duration IDLENESS = Duration.ofMillis(300);

    private static final AtomicLong GENERATED = new AtomicLong();
    private static final Queue<Long> WINDOW_SUMS = new ConcurrentLinkedQueue<>();

    @Test
    void aDrainFiresTheOpenWindowOfASourceThatWentIdle(@TempDir Path savepoints) throws Exception {
        assertThat(drainAfterIdleness(false, savepoints.resolve("without")))
                .as("without it, Flink drops the idle source's final watermark: nothing fires")
                .isEmpty();
        assertThat(drainAfterIdleness(true, savepoints.resolve("with")))
                .as("the one window holding readings 0..9 fires once, with all of them")
                .containsExactly(45L);
    }

    /** Runs the job until its source has sent every reading and gone idle, then drains it. */
    private static List<Long> drainAfterIdleness(boolean withOperator, Path savepoints)
            throws Exception {
        GENERATED.set(0);
        WINDOW_SUMS.clear();
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        DataGeneratorSource<Long> source =
                new DataGeneratorSource<>(
                        (GeneratorFunction<Long, Long>)
                                index -> {
                                    GENERATED.incrementAndGet();
                                    return index;
                                },
                        Long.MAX_VALUE,
                        new ThenSilent(READINGS),
                        Types.LONG);
        // Reading i at second i: all in the first minute, which only the final watermark closes.
        DataStream<Long> readings =
                env.fromSource(
                                source,
                                WatermarkStrategy.<Long>forMonotonousTimestamps()
                                        .withTimestampAssigner((reading, ts) -> reading * 1_000)
                                        .withIdleness(IDLENESS),
                                "readings")
                        .uid("readings")
                        .setParallelism(1);
        if (withOperator) {
            readings =
                    readings.transform("final watermark", Types.LONG, new EndOfInputWatermark<>())
                            .uid("final-watermark")
                            .setParallelism(1);
        }
        readings.keyBy(reading -> 0, Types.INT)
                .window(TumblingEventTimeWindows.of(Duration.ofMinutes(1)))
                .reduce(Long::sum)
                .uid("window")
                .sinkTo(new WindowSums())
                .uid("sums");
        JobClient job = env.executeAsync("drain after idleness");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (GENERATED.get() < READINGS && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(GENERATED.get()).as("the source sent every reading").isEqualTo(READINGS);
        // Ten times the idleness: the source has announced idle (checked every 200 ms).
        Thread.sleep(IDLENESS.toMillis() * 10);
        job.stopWithSavepoint(true, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get(2, TimeUnit.MINUTES);
        job.getJobExecutionResult().get(2, TimeUnit.MINUTES);
        return List.copyOf(WINDOW_SUMS);
    }

    /** Grants {@code permits} records, then none: the source stays open but sends nothing. */
    private record ThenSilent(int permits) implements RateLimiterStrategy {
        @Override
        public RateLimiter createRateLimiter(int parallelism) {
            return new RateLimiter() {
                private int granted;

                @Override
                public CompletionStage<Void> acquire() {
                    return granted++ < permits
                            ? CompletableFuture.completedFuture(null)
                            : new CompletableFuture<>();
                }
            };
        }
    }

    /** Collects the window sums in this JVM (the MiniCluster runs in it). */
    private static final class WindowSums implements Sink<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public SinkWriter<Long> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(Long sum, Context context) {
                    WINDOW_SUMS.add(sum);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
