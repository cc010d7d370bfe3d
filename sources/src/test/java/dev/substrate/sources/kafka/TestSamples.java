package dev.substrate.sources.kafka;

import dev.substrate.events.GpuSample;
import dev.substrate.testkit.GpuSamples;
import java.time.Instant;

/** Deterministic GpuSample records for source tests. */
final class TestSamples {

    static final Instant T0 = Instant.parse("2026-11-26T10:15:30.250Z");

    private TestSamples() {}

    static GpuSample sample(int i) {
        return GpuSample.newBuilder(GpuSamples.current(i))
                .setTimestamp(T0.plusMillis(250L * i))
                .setMemoryTemperatureC(null)
                .setMigProfile(null)
                .build();
    }
}
