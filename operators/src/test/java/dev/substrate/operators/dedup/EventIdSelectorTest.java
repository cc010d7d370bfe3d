package dev.substrate.operators.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.operators.testing.GovernanceFixtures;
import dev.substrate.schemas.wire.Sourced;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

class EventIdSelectorTest {

    private final EventIdSelector<?> selector = new EventIdSelector<>();

    @Test
    void aSelectorShippedToATaskFindsTheIdWhereverTheSchemaPutsIt() throws Exception {
        // Flink serializes the selector into the job graph; a task uses a copy.
        EventIdSelector<GenericRecord> shipped =
                InstantiationUtil.clone(new EventIdSelector<GenericRecord>());
        Schema schema =
                SchemaBuilder.record("Shifted")
                        .fields()
                        .requiredString("source")
                        .requiredString("event_id")
                        .endRecord();
        GenericRecord first = new GenericData.Record(schema);
        first.put("source", "same-source");
        first.put("event_id", "id-1");
        GenericRecord second = new GenericData.Record(schema);
        second.put("source", "same-source");
        second.put("event_id", "id-2");

        assertThat(shipped.getKey(sourced(first)))
                .isEqualTo(selector.key("id-1"))
                .isNotEqualTo(shipped.getKey(sourced(second)));
    }

    private static Sourced<GenericRecord> sourced(GenericRecord record) {
        return Sourced.<GenericRecord>builder()
                .record(record)
                .partition(0)
                .offset(0)
                .schemaId(1)
                .value(new byte[] {0})
                .build();
    }

    @Test
    void aCanonicalUuidIsItsOwnKey() throws Exception {
        UUID id = UUID.fromString("3f2b8c1e-9d4a-4b6f-8e2d-7a1c5b9e0f34");
        assertThat(selector.key(id.toString()))
                .isEqualTo(Tuple2.of(id.getMostSignificantBits(), id.getLeastSignificantBits()));
    }

    @Test
    void idsThatDifferOnlyInSpellingAreDifferentKeys() throws Exception {
        String lower = "3f2b8c1e-9d4a-4b6f-8e2d-7a1c5b9e0f34";
        Tuple2<Long, Long> canonical = selector.key(lower);
        assertThat(selector.key(lower.toUpperCase())).isNotEqualTo(canonical);
        // UUID.fromString accepts short groups; they are not the canonical UUID above.
        assertThat(selector.key("3f2b8c1e-9d4a-4b6f-8e2d-7a1c5b9e0f3")).isNotEqualTo(canonical);
        assertThat(selector.key("1-1-1-1-1"))
                .isNotEqualTo(selector.key("00000001-0001-0001-0001-000000000001"));
    }

    @Test
    void otherIdsAreHashedStablyAndApart() throws Exception {
        assertThat(selector.key("order-17")).isEqualTo(new EventIdSelector<>().key("order-17"));
        Set<Tuple2<Long, Long>> keys = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            keys.add(selector.key("order-" + i));
            keys.add(
                    selector.key(
                            UUID.nameUUIDFromBytes(
                                            new byte[] {
                                                (byte) i, (byte) (i >> 8), (byte) (i >> 16)
                                            })
                                    .toString()));
        }
        assertThat(keys).hasSize(200_000);
    }

    @Test
    void aReplayIsKeyedApartFromTheRecordItReplaysButLikeItsOtherCopies() throws Exception {
        EventIdSelector<GpuSample> gpu = new EventIdSelector<>();
        String topic = "substrate.gpu-samples";
        GpuSample sample = GovernanceFixtures.gpu("3f2b8c1e-9d4a-4b6f-8e2d-7a1c5b9e0f34", 1, 1);

        Tuple2<Long, Long> original = gpu.getKey(GovernanceFixtures.sourced(sample));
        Tuple2<Long, Long> replay = gpu.getKey(GovernanceFixtures.replayOf(sample, topic, 4));

        assertThat(original).isEqualTo(selector.key(sample.getEventId()));
        assertThat(replay).isNotEqualTo(original);
        assertThat(gpu.getKey(GovernanceFixtures.replayOf(sample, topic, 4))).isEqualTo(replay);
        assertThat(gpu.getKey(GovernanceFixtures.replayOf(sample, topic, 5))).isNotEqualTo(replay);
    }
}
