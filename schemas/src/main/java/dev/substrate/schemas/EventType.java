package dev.substrate.schemas;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.schemas.registry.TopicNameStrategy;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * The event types Substrate ingests and stores: for each, its Avro class, Kafka topic, registry
 * subject, lake table and the fields the table is partitioned by.
 */
public enum EventType {
    GPU_SAMPLE(GpuSample.class, "substrate.gpu-samples", "gpu_samples", "timestamp", "cluster"),
    WORKLOAD_REQUEST(
            WorkloadRequest.class,
            "substrate.workload-requests",
            "workload_requests",
            "timestamp",
            "tenant"),
    AUDIT_EVENT(AuditEvent.class, "substrate.audit-events", "audit_events", "timestamp", "action"),
    ENTERPRISE_EVENT(
            EnterpriseEvent.class,
            "substrate.enterprise-events",
            "enterprise_events",
            "timestamp",
            "source_system"),
    DEAD_LETTER(
            DeadLetter.class,
            "substrate.dead-letters",
            "dead_letters",
            "dead_lettered_at",
            "source_topic");

    private static final List<EventType> INPUTS =
            List.of(GPU_SAMPLE, WORKLOAD_REQUEST, AUDIT_EVENT, ENTERPRISE_EVENT);

    private final Class<? extends SpecificRecord> recordClass;
    private final String topic;
    private final String tableName;
    private final String timestampField;
    private final String partitionField;

    EventType(
            Class<? extends SpecificRecord> recordClass,
            String topic,
            String tableName,
            String timestampField,
            String partitionField) {
        this.recordClass = recordClass;
        this.topic = topic;
        this.tableName = tableName;
        this.timestampField = timestampField;
        this.partitionField = partitionField;
    }

    /** The four types read from input topics (all but {@link #DEAD_LETTER}). */
    public static List<EventType> inputs() {
        return INPUTS;
    }

    public Class<? extends SpecificRecord> recordClass() {
        return recordClass;
    }

    /** The current (reader) schema of the generated class. */
    public Schema schema() {
        return SpecificData.getForClass(recordClass).getSchema(recordClass);
    }

    public String topic() {
        return topic;
    }

    /** The registry subject of the topic's values (TopicNameStrategy: {@code <topic>-value}). */
    public String subject() {
        return TopicNameStrategy.valueSubject(topic);
    }

    public String tableName() {
        return tableName;
    }

    /** The event-time field, a {@code timestamp-millis} long. */
    public String timestampField() {
        return timestampField;
    }

    /** The low-cardinality field the lake table is partitioned by, besides the day. */
    public String partitionField() {
        return partitionField;
    }
}
