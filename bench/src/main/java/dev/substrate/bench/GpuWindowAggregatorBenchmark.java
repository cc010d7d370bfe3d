package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import dev.substrate.operators.telemetry.windows.GpuWindowAccumulator;
import dev.substrate.operators.telemetry.windows.GpuWindowAggregator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the cost of adding one reading to a window accumulator: the full production aggregate (with
 * DDSketch quantiles, energy, clock-event time, ECC, XIDs), without quantiles, and the
 * SQL-comparable subset. Readings of one GPU one second apart, cycling through 4096 values; the
 * accumulator is renewed every 60 readings like a 1-minute window.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GpuWindowAggregatorBenchmark {

    private static final int READINGS = 4096;

    private final GpuWindowAggregator full = new GpuWindowAggregator(true, 60_000);
    private final GpuWindowAggregator noQuantiles = new GpuWindowAggregator(false, 60_000);
    private final BasicGpuStatsAggregator basic = new BasicGpuStatsAggregator();
    private GpuSample[] readings;
    private GpuWindowAccumulator fullAcc;
    private GpuWindowAccumulator noQuantilesAcc;
    private BasicGpuStats basicAcc;
    private int next;

    @Setup(Level.Trial)
    public void readings() {
        SampleGenerator generator = new SampleGenerator(1);
        generator.open(null);
        readings = new GpuSample[READINGS];
        for (int i = 0; i < READINGS; i++) {
            readings[i] = generator.map((long) i);
            readings[i].setClockEventReasons(i % 3 == 0 ? 0x4L : 0x0L);
        }
        fullAcc = full.createAccumulator();
        noQuantilesAcc = noQuantiles.createAccumulator();
        basicAcc = basic.createAccumulator();
    }

    private GpuSample nextReading() {
        GpuSample r = readings[next];
        next = (next + 1) & (READINGS - 1);
        return r;
    }

    @Benchmark
    public GpuWindowAccumulator addFull() {
        if (next % 60 == 0) {
            fullAcc = full.createAccumulator();
        }
        return full.add(nextReading(), fullAcc);
    }

    @Benchmark
    public GpuWindowAccumulator addWithoutQuantiles() {
        if (next % 60 == 0) {
            noQuantilesAcc = noQuantiles.createAccumulator();
        }
        return noQuantiles.add(nextReading(), noQuantilesAcc);
    }

    @Benchmark
    public BasicGpuStats addSqlSubset() {
        if (next % 60 == 0) {
            basicAcc = basic.createAccumulator();
        }
        return basic.add(nextReading(), basicAcc);
    }
}
