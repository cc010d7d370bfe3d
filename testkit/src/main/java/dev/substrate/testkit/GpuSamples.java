package dev.substrate.testkit;

import dev.substrate.events.GpuSample;
import dev.substrate.schemas.SchemaHistory;
import java.time.Duration;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * The one place tests get GpuSample records from: deterministic readings of the current schema
 * version and of v1, and a builder for a reading with the fields a test cares about.
 *
 * <pre>{@code
 * GpuSample hot = GpuSamples.reading().node("n1").gpu(3).at(t0).temperature(91).build();
 * GpuSample any = GpuSamples.current(7);
 * GenericRecord old = GpuSamples.v1Record(2);
 * }</pre>
 */
public final class GpuSamples {

    public static final Instant T0 = Instant.parse("2026-11-26T10:15:30.250Z");

    /** How far out of order test readings may be: the job's default. */
    public static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(5);

    private GpuSamples() {}

    /**
     * An idle H100 80GB reading of one GPU of a node: the fleet a scheduling test places work on
     * (1% busy, 200 MiB used, 80 W of 700 W).
     */
    public static GpuSample idle(String region, String cluster, String node, int gpu, Instant at) {
        return GpuSample.newBuilder()
                .setEventId(node + "/" + gpu + "@" + at.toEpochMilli())
                .setTimestamp(at)
                .setRegion(region)
                .setCluster(cluster)
                .setNode(node)
                .setGpuUuid("GPU-" + node + "-" + gpu)
                .setGpuIndex(gpu)
                .setModel("H100-80GB")
                .setUtilizationPct(1.0)
                .setMemoryUtilizationPct(0.0)
                .setMemoryUsedMib(200L)
                .setMemoryTotalMib(81_559L)
                .setTemperatureC(35.0)
                .setPowerDrawW(80.0)
                .setSmClockMhz(345)
                .setMemoryClockMhz(2_619)
                .setClockEventReasons(0x1L)
                .setEccCorrected(0L)
                .setEccUncorrected(0L)
                .setPowerLimitW(700.0)
                .build();
    }

    /**
     * Event time for a test stream of readings, as the job's ingest assigns it: the {@code
     * timestamp} field, watermarks {@link #OUT_OF_ORDERNESS} behind the newest reading.
     */
    public static WatermarkStrategy<GpuSample> eventTime() {
        return WatermarkStrategy.<GpuSample>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
                .withTimestampAssigner((sample, previous) -> sample.getTimestamp().toEpochMilli());
    }

    /**
     * A reading of GPU {@code index} of {@code node} in {@code cluster} at {@code time}: an H100 at
     * moderate load, every field set (event id {@code <node>-<index>-<millis>}, uuid {@code
     * GPU-<node>-<index>}); a test sets what it cares about on the builder.
     */
    public static GpuSample.Builder reading(String cluster, String node, int index, Instant time) {
        return GpuSample.newBuilder()
                .setEventId(node + "-" + index + "-" + time.toEpochMilli())
                .setTimestamp(time)
                .setRegion("us-east-1")
                .setCluster(cluster)
                .setNode(node)
                .setGpuUuid("GPU-" + node + "-" + index)
                .setGpuIndex(index)
                .setModel("NVIDIA H100 80GB HBM3")
                .setUtilizationPct(50.0)
                .setMemoryUtilizationPct(20.0)
                .setMemoryUsedMib(40_000L)
                .setMemoryTotalMib(81_559L)
                .setTemperatureC(60.0)
                .setMemoryTemperatureC(null)
                .setPowerDrawW(400.0)
                .setSmClockMhz(1_980)
                .setMemoryClockMhz(2_619)
                .setClockEventReasons(0L)
                .setEccCorrected(0L)
                .setEccUncorrected(0L)
                .setXid(0)
                .setPstate("P0")
                .setPowerLimitW(700.0)
                .setMigProfile(null);
    }

    public static Schema v1() {
        return SchemaHistory.versions("GpuSample").get(0);
    }

    public static GpuSample current(int i) {
        return reading("h100-a", "node-" + (i % 4), i % 8, T0.plusMillis(250L * i))
                .setEventId("evt-" + i)
                .setRegion("eu-west-4")
                .setGpuUuid("GPU-6f1c2a9e-0000-4000-8000-00000000000" + (i % 8))
                .setUtilizationPct(97.0)
                .setMemoryUtilizationPct(41.5)
                .setMemoryUsedMib(78_123L)
                .setTemperatureC(71.0)
                .setMemoryTemperatureC(63.0)
                .setPowerDrawW(699.4)
                .setSmClockMhz(1_305)
                .setClockEventReasons(0x4L)
                .setMigProfile("1g.10gb")
                .build();
    }

    /** A v1 record built from the history schema; its timestamp is a plain epoch-millis long. */
    public static GenericRecord v1Record(int i) {
        GenericRecord r = new GenericData.Record(v1());
        r.put("event_id", "evt-v1-" + i);
        r.put("timestamp", T0.toEpochMilli() + i);
        r.put("region", "us-east-1");
        r.put("cluster", "a100-b");
        r.put("node", "node-7");
        r.put("gpu_uuid", "GPU-00000000-1111-2222-3333-444444444444");
        r.put("gpu_index", 3);
        r.put("model", "NVIDIA A100-SXM4-40GB");
        r.put("utilization_pct", 12.5);
        r.put("memory_utilization_pct", 3.0);
        r.put("memory_used_mib", 1_024L);
        r.put("memory_total_mib", 40_960L);
        r.put("temperature_c", 44.0);
        r.put("memory_temperature_c", null);
        r.put("power_draw_w", 88.2);
        r.put("sm_clock_mhz", 1_410);
        r.put("memory_clock_mhz", 1_215);
        r.put("clock_event_reasons", 0L);
        r.put("ecc_corrected", 2L);
        r.put("ecc_uncorrected", 0L);
        r.put("xid", 79);
        r.put("pstate", "P2");
        return r;
    }
}
