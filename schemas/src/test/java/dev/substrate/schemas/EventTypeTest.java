package dev.substrate.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EventTypeTest {

    @ParameterizedTest
    @EnumSource(EventType.class)
    void timestampFieldIsATimestampMillisAndPartitionFieldExists(EventType type) {
        Schema schema = type.schema();

        Schema.Field ts = schema.getField(type.timestampField());
        assertThat(ts).as("%s.%s", type, type.timestampField()).isNotNull();
        assertThat(ts.schema().getLogicalType()).isEqualTo(LogicalTypes.timestampMillis());
        assertThat(schema.getField(type.partitionField()))
                .as("%s.%s", type, type.partitionField())
                .isNotNull();
        assertThat(schema.getFullName()).isEqualTo(type.recordClass().getName());
    }

    @Test
    void subjectFollowsTopicNameStrategy() {
        assertThat(EventType.GPU_SAMPLE.subject()).isEqualTo("substrate.gpu-samples-value");
        assertThat(EventType.GPU_SAMPLE.schema()).isSameAs(GpuSample.getClassSchema());
    }

    @Test
    void inputsAreEverythingButDeadLetters() {
        assertThat(EventType.inputs())
                .containsExactly(
                        EventType.GPU_SAMPLE,
                        EventType.WORKLOAD_REQUEST,
                        EventType.AUDIT_EVENT,
                        EventType.ENTERPRISE_EVENT);
        assertThat(EventType.values()).extracting(EventType::topic).doesNotHaveDuplicates();
        assertThat(EventType.values()).extracting(EventType::tableName).doesNotHaveDuplicates();
    }
}
