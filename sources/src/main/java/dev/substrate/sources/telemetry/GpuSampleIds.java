package dev.substrate.sources.telemetry;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * Deterministic event ids of telemetry readings: the same GPU read at the same millisecond always
 * gets the same id, so a replayed or re-scraped reading deduplicates downstream.
 */
public final class GpuSampleIds {

    private GpuSampleIds() {}

    /** A name-based UUID (version 3) of the GPU's UUID and the reading's epoch millisecond. */
    public static String eventId(String gpuUuid, Instant timestamp) {
        String name = "gpu-sample/" + gpuUuid + "/" + timestamp.toEpochMilli();
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
