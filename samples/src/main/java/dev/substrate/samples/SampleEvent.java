package dev.substrate.samples;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.schemas.EventType;
import java.time.Instant;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * One generated input event with its type (and so its topic) and the Kafka key that keeps one
 * entity's events in one partition, in order.
 *
 * @param type the input type; {@code record} is an instance of {@code type.recordClass()}
 * @param key the GPU uuid, request id, principal or entity id
 * @param record the event
 */
public record SampleEvent(EventType type, String key, SpecificRecord record) {

    public SampleEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        if (!type.recordClass().isInstance(record)) {
            throw new IllegalArgumentException(
                    "A " + type + " event must be a " + type.recordClass().getSimpleName());
        }
    }

    public static SampleEvent of(GpuSample sample) {
        return new SampleEvent(EventType.GPU_SAMPLE, sample.getGpuUuid(), sample);
    }

    public static SampleEvent of(WorkloadRequest request) {
        return new SampleEvent(EventType.WORKLOAD_REQUEST, request.getRequestId(), request);
    }

    public static SampleEvent of(AuditEvent event) {
        return new SampleEvent(EventType.AUDIT_EVENT, event.getPrincipal(), event);
    }

    public static SampleEvent of(EnterpriseEvent event) {
        return new SampleEvent(EventType.ENTERPRISE_EVENT, event.getEntityId(), event);
    }

    /** The event time of the record. */
    public Instant timestamp() {
        if (record instanceof GpuSample sample) {
            return sample.getTimestamp();
        } else if (record instanceof WorkloadRequest request) {
            return request.getTimestamp();
        } else if (record instanceof AuditEvent event) {
            return event.getTimestamp();
        } else {
            return ((EnterpriseEvent) record).getTimestamp();
        }
    }
}
