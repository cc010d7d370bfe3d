package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import java.time.Instant;
import java.util.UUID;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

/**
 * Deterministic benchmark input: reading {@code i} is of GPU {@code i % gpus} at second {@code i /
 * gpus}, so 10 million readings of 10,000 GPUs span 1,000 s (17 one-minute windows). Values are
 * cheap integer hashes of {@code i}; nothing is held in memory but the GPUs' names.
 */
public final class SampleGenerator implements GeneratorFunction<Long, GpuSample> {

    private static final long serialVersionUID = 1L;

    /** Event time of reading 0. */
    public static final long T0 = Instant.parse("2026-11-26T00:00:00Z").toEpochMilli();

    private static final int FIELDS = GpuSample.getClassSchema().getFields().size();

    private final int gpus;
    private transient String[] uuids;
    private transient String[] nodes;
    private transient GpuSample prototype;

    public SampleGenerator(int gpus) {
        this.gpus = gpus;
    }

    @Override
    public void open(SourceReaderContext readerContext) {
        uuids = new String[gpus];
        nodes = new String[gpus];
        for (int g = 0; g < gpus; g++) {
            uuids[g] = uuid(g);
            nodes[g] = "node-" + (g / 8);
        }
        // Fields the generator does not set (and any added to the schema later) keep their
        // schema defaults, copied by reference from one record built once.
        prototype =
                GpuSample.newBuilder()
                        .setEventId("")
                        .setTimestamp(Instant.EPOCH)
                        .setRegion("us-east-1")
                        .setCluster("bench-cluster")
                        .setNode("")
                        .setGpuUuid("")
                        .setGpuIndex(0)
                        .setModel("NVIDIA H100 80GB HBM3")
                        .setUtilizationPct(0)
                        .setMemoryUtilizationPct(0)
                        .setMemoryUsedMib(0)
                        .setMemoryTotalMib(81_559L)
                        .setTemperatureC(0)
                        .setPowerDrawW(0)
                        .setSmClockMhz(1980)
                        .setMemoryClockMhz(2619)
                        .setClockEventReasons(0)
                        .setEccCorrected(0)
                        .setEccUncorrected(0)
                        .setPstate("P0")
                        .setPowerLimitW(700.0)
                        .build();
    }

    /** The UUID of GPU {@code g}. */
    public static String uuid(int g) {
        return new UUID(0x6a5f_0000_0000_0000L | g, 0x8000_0000_0000_0000L | (g * 2654435761L))
                .toString();
    }

    public static long timestamp(long i, int gpus) {
        return T0 + (i / gpus) * 1000L;
    }

    public static double utilization(long i) {
        return (i * 31) % 101;
    }

    public static double power(long i) {
        return 100 + ((i * 17) % 600) + 0.5;
    }

    public static double temperature(long i) {
        return 30 + (i % 50);
    }

    public static long memoryUsed(long i) {
        return (i * 13) % 81_000;
    }

    @Override
    public GpuSample map(Long index) {
        long i = index;
        int g = (int) (i % gpus);
        long ts = timestamp(i, gpus);
        GpuSample s = new GpuSample();
        for (int f = 0; f < FIELDS; f++) {
            s.put(f, prototype.get(f));
        }
        s.setEventId(new UUID(i, ts).toString());
        s.setTimestamp(Instant.ofEpochMilli(ts));
        s.setNode(nodes[g]);
        s.setGpuUuid(uuids[g]);
        s.setGpuIndex(g % 8);
        s.setUtilizationPct(utilization(i));
        s.setMemoryUsedMib(memoryUsed(i));
        s.setTemperatureC(temperature(i));
        s.setPowerDrawW(power(i));
        return s;
    }
}
