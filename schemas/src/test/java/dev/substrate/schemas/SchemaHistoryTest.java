package dev.substrate.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.GpuSample;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

class SchemaHistoryTest {

    @Test
    void loadsGpuSampleVersionsInOrder() {
        List<Schema> versions = SchemaHistory.versions("GpuSample");

        assertThat(versions).hasSize(3);
        assertThat(versions.get(0).getField("power_limit_w")).isNull();
        assertThat(versions.get(0).getField("mig_profile")).isNull();
        assertThat(versions.get(1).getField("power_limit_w")).isNotNull();
        assertThat(versions.get(1).getField("quality_tags")).isNull();
        assertThat(versions.get(2).getField("quality_tags")).isNotNull();
        assertThat(versions)
                .allSatisfy(
                        s ->
                                assertThat(s.getFullName())
                                        .isEqualTo("dev.substrate.events.GpuSample"));
    }

    @Test
    void latestHistoryVersionIsTheGeneratedSchema() {
        List<Schema> versions = SchemaHistory.versions("GpuSample");

        // Compared in parsing canonical form: the generated schema adds avro.java.string props.
        assertThat(SchemaNormalization.toParsingForm(versions.get(versions.size() - 1)))
                .isEqualTo(SchemaNormalization.toParsingForm(GpuSample.getClassSchema()));
    }

    @Test
    void returnsTheSameInstancesOnEveryCall() {
        assertThat(SchemaHistory.versions("GpuSample").get(0))
                .isSameAs(SchemaHistory.versions("GpuSample").get(0));
    }

    @Test
    void unknownRecordNameIsAnError() {
        assertThatThrownBy(() -> SchemaHistory.versions("NoSuchRecord"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("avro/history/NoSuchRecord.v1.avsc");
    }
}
