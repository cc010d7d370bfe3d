package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class LakeSchemaEvolutionTest {

    private static Schema avro(String fields) {
        return new Schema.Parser()
                .parse(
                        "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"t\",\"fields\":["
                                + fields
                                + "]}");
    }

    private static List<String> plan(Schema tableAvro, Schema wanted) {
        return LakeSchemaEvolution.plan(
                "readings",
                LakeTables.icebergSchema(tableAvro),
                LakeTables.icebergSchema(wanted),
                wanted);
    }

    private static final String ID = "{\"name\":\"id\",\"type\":\"string\"}";

    @Test
    void addingOptionalFieldsWideningAndMakingOptionalAreAllowed() {
        Schema v1 =
                avro(
                        ID
                                + ",{\"name\":\"count\",\"type\":\"int\"},{\"name\":\"ratio\",\"type\":\"float\"}");
        Schema v2 =
                avro(
                        ID
                                + ",{\"name\":\"count\",\"type\":[\"null\",\"long\"],\"default\":null}"
                                + ",{\"name\":\"ratio\",\"type\":\"double\"}"
                                + ",{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}");
        assertThat(plan(v1, v2))
                .containsExactlyInAnyOrder(
                        "widen count from int to long",
                        "make count optional",
                        "widen ratio from float to double",
                        "add optional column note string");
        assertThat(plan(v2, v2)).isEmpty();
        assertThat(plan(v2, avro(ID)))
                .as("a dropped field keeps its column")
                .contains("make ratio optional (no longer written)");
    }

    @Test
    void narrowingTypeChangesAndRenamesAreRefusedWithTheColumnNamed() {
        Schema wide = avro(ID + ",{\"name\":\"count\",\"type\":\"long\"}");
        assertThatThrownBy(() -> plan(wide, avro(ID + ",{\"name\":\"count\",\"type\":\"int\"}")))
                .isInstanceOf(LakeSchemaChangeException.class)
                .hasMessageContaining("column 'count' is long in the table but int")
                .hasMessageContaining("Narrowing is refused");
        assertThatThrownBy(() -> plan(wide, avro(ID + ",{\"name\":\"count\",\"type\":\"string\"}")))
                .isInstanceOf(LakeSchemaChangeException.class)
                .hasMessageContaining("Changing a column's type is refused");
        assertThatThrownBy(
                        () ->
                                plan(
                                        wide,
                                        avro(
                                                ID
                                                        + ",{\"name\":\"total\",\"type\":\"long\","
                                                        + "\"aliases\":[\"count\"]}")))
                .isInstanceOf(LakeSchemaChangeException.class)
                .hasMessageContaining("'total' renames column 'count'");
    }

    @Test
    void theTableStartsWithTheRegisteredVersionsFieldsAndThePipelinesOwn() {
        Schema reader =
                avro(
                        ID
                                + ",{\"name\":\"v2_only\",\"type\":[\"null\",\"double\"],\"default\":null}"
                                + ",{\"name\":\"quality_tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[]}");
        assertThat(
                        EvolvingLakeSink.initialColumns(
                                reader, Set.of("id"), Set.of("quality_tags"), Set.of()))
                .containsExactly("id", "quality_tags");
        assertThat(
                        EvolvingLakeSink.initialColumns(
                                reader, Set.of("id"), Set.of("quality_tags"), Set.of("v2_only")))
                .as("a column the table already has is kept")
                .containsExactly("id", "v2_only", "quality_tags");
        assertThat(EvolvingLakeSink.initialColumns(reader, null, Set.of(), Set.of()))
                .as("nothing registered: the job's own schema")
                .containsExactly("id", "v2_only", "quality_tags");
        assertThat(EvolvingLakeSink.project(reader, List.of("id", "quality_tags")).getFields())
                .extracting(Schema.Field::name)
                .containsExactly("id", "quality_tags");
    }
}
