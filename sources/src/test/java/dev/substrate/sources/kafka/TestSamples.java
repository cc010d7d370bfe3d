package dev.substrate.sources.kafka;

import dev.substrate.events.GpuSample;
import java.time.Instant;

/** Deterministic GpuSample records for source tests. */
final class TestSamples {

    static final Instant T0 = Instant.parse("2026-11-26T10:15:30.250Z");

    private TestSamples() {}

    static GpuSample sample(int i) {
        return GpuSample.newBuilder()
                .setEventId("evt-" + i)
                .setTimestamp(T0.plusMillis(250L * i))
                .setRegion("eu-west-4")
                .setCluster("h100-a")
                .setNode("node-" + (i % 4))
                .setGpuUuid("GPU-6f1c2a9e-0000-4000-8000-00000000000" + (i % 8))
                .setGpuIndex(i % 8)
                .setModel("NVIDIA H100 80GB HBM3")
                .setUtilizationPct(97.0)
                .setMemoryUtilizationPct(41.5)
                .setMemoryUsedMib(78_123L)
                .setMemoryTotalMib(81_559L)
                .setTemperatureC(71.0)
                .setMemoryTemperatureC(null)
                .setPowerDrawW(699.4)
                .setSmClockMhz(1_305)
                .setMemoryClockMhz(2_619)
                .setClockEventReasons(0x4L)
                .setEccCorrected(0L)
                .setEccUncorrected(0L)
                .setXid(0)
                .setPstate("P0")
                .setPowerLimitW(700.0)
                .setMigProfile(null)
                .build();
    }
}
