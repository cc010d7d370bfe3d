package dev.substrate.collector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.testkit.SampleData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReadingBufferTest {

    private static List<GpuSample> trace;

    @BeforeAll
    static void readTrace() throws Exception {
        trace = new NvidiaSmiCsvParser("r", "c", "n").parse(SampleData.h100Trace());
    }

    @Test
    void whenFullTheOldestReadingIsDroppedAndCounted() throws Exception {
        ReadingBuffer buffer = new ReadingBuffer(3, 10);
        for (int i = 0; i < 10; i++) {
            buffer.accept(trace.get(i));
        }
        assertThat(buffer.counts()).isEqualTo(new ReadingBuffer.Counts(3, 0, 7));
        assertThat(drain(buffer)).containsExactly(trace.get(7), trace.get(8), trace.get(9));
        assertThat(buffer.counts()).isEqualTo(new ReadingBuffer.Counts(0, 3, 7));
    }

    @Test
    void atMostMaxInFlightReadingsAreOutAtOnceAndEachComesBackOnce() throws Exception {
        ReadingBuffer buffer = new ReadingBuffer(10, 2);
        for (int i = 0; i < 4; i++) {
            buffer.accept(trace.get(i));
        }
        assertThat(drain(buffer)).containsExactly(trace.get(0), trace.get(1));
        assertThat(buffer.take(Duration.ofMillis(20))).isNull(); // no room in flight
        buffer.delivered();
        assertThat(buffer.take(Duration.ZERO)).isEqualTo(trace.get(2));
        assertThat(buffer.counts()).isEqualTo(new ReadingBuffer.Counts(1, 2, 0));
    }

    @Test
    void aReadingKafkaGaveBackIsTheOldestSoItIsDroppedWhenThereIsNoRoom() throws Exception {
        ReadingBuffer buffer = new ReadingBuffer(2, 5);
        buffer.accept(trace.get(0));
        buffer.accept(trace.get(1));
        GpuSample out = buffer.take(Duration.ZERO);
        buffer.giveBack(out); // room again: it waits as the oldest
        assertThat(buffer.counts()).isEqualTo(new ReadingBuffer.Counts(2, 0, 0));
        out = buffer.take(Duration.ZERO);
        buffer.accept(trace.get(2)); // full again
        buffer.giveBack(out); // no room: the given-back one, the oldest, is dropped
        assertThat(buffer.counts()).isEqualTo(new ReadingBuffer.Counts(2, 0, 1));
        assertThat(drain(buffer)).containsExactly(trace.get(1), trace.get(2));
    }

    @Test
    void takeWaitsForAReadingAndGivesUpAfterTheTimeout() throws Exception {
        ReadingBuffer buffer = new ReadingBuffer(2, 2);
        assertThat(buffer.take(Duration.ofMillis(20))).isNull();
        Thread producer =
                new Thread(
                        () -> {
                            sleep(50);
                            buffer.accept(trace.get(0));
                        });
        producer.start();
        assertThat(buffer.take(Duration.ofSeconds(10))).isEqualTo(trace.get(0));
        producer.join();
    }

    private static List<GpuSample> drain(ReadingBuffer buffer) throws InterruptedException {
        List<GpuSample> out = new ArrayList<>();
        for (GpuSample s = buffer.take(Duration.ZERO); s != null; s = buffer.take(Duration.ZERO)) {
            out.add(s);
        }
        return out;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
