package dev.substrate.operators.telemetry.windows;

import dev.substrate.events.GpuSample;
import java.time.Instant;

/** Builds GpuSample readings for the window tests. */
final class Readings {

    static final long T0 = Instant.parse("2026-11-26T21:00:00Z").toEpochMilli();

    private Readings() {}

    static GpuSample reading(String gpu, String node, long ts, double util, double watts) {
        return reading(gpu, node, "c1", ts, util, watts, 50.0, 1000L, 0L, 0L, 0L, 0);
    }

    static GpuSample reading(
            String gpu,
            String node,
            String cluster,
            long ts,
            double util,
            double watts,
            double temperature,
            long memoryUsed,
            long reasons,
            long eccCorrected,
            long eccUncorrected,
            int xid) {
        return GpuSample.newBuilder()
                .setEventId(gpu + "@" + ts)
                .setTimestamp(Instant.ofEpochMilli(ts))
                .setRegion("us-east-1")
                .setCluster(cluster)
                .setNode(node)
                .setGpuUuid(gpu)
                .setGpuIndex(0)
                .setModel("NVIDIA H100 80GB HBM3")
                .setUtilizationPct(util)
                .setMemoryUtilizationPct(0.0)
                .setMemoryUsedMib(memoryUsed)
                .setMemoryTotalMib(81559L)
                .setTemperatureC(temperature)
                .setMemoryTemperatureC(null)
                .setPowerDrawW(watts)
                .setSmClockMhz(1980)
                .setMemoryClockMhz(2619)
                .setClockEventReasons(reasons)
                .setEccCorrected(eccCorrected)
                .setEccUncorrected(eccUncorrected)
                .setXid(xid)
                .setPstate("P0")
                .setPowerLimitW(700.0)
                .setMigProfile(null)
                .build();
    }
}
