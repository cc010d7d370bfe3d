package dev.substrate.samples;

import dev.substrate.events.DeadLetterReason;
import dev.substrate.schemas.EventType;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Exactly what a {@link SampleEventProducer} has sent and Kafka acknowledged: good records per
 * event type (and how many of the telemetry samples used the old v1 schema), and deliberately
 * broken records per the dead-letter reason they must end with.
 */
public record ProducerReport(
        Map<EventType, Long> goodByType,
        long gpuSamplesAsV1,
        Map<DeadLetterReason, Long> badByReason) {

    public ProducerReport {
        goodByType = Collections.unmodifiableMap(new EnumMap<>(goodByType));
        badByReason = Collections.unmodifiableMap(new EnumMap<>(badByReason));
    }

    static ProducerReport empty() {
        return new ProducerReport(
                new EnumMap<>(EventType.class), 0, new EnumMap<>(DeadLetterReason.class));
    }

    public long good() {
        return goodByType.values().stream().mapToLong(Long::longValue).sum();
    }

    public long bad() {
        return badByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    public long good(EventType type) {
        return goodByType.getOrDefault(type, 0L);
    }

    public long bad(DeadLetterReason reason) {
        return badByReason.getOrDefault(reason, 0L);
    }
}
