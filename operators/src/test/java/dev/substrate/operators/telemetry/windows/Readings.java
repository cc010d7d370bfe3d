package dev.substrate.operators.telemetry.windows;

import dev.substrate.events.GpuSample;
import dev.substrate.testkit.GpuSamples;
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
        return GpuSamples.reading(cluster, node, 0, Instant.ofEpochMilli(ts))
                .setEventId(gpu + "@" + ts)
                .setGpuUuid(gpu)
                .setUtilizationPct(util)
                .setMemoryUtilizationPct(0.0)
                .setMemoryUsedMib(memoryUsed)
                .setTemperatureC(temperature)
                .setPowerDrawW(watts)
                .setClockEventReasons(reasons)
                .setEccCorrected(eccCorrected)
                .setEccUncorrected(eccUncorrected)
                .setXid(xid)
                .build();
    }
}
