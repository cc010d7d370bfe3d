package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.KafkaHeader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The serializer of {@link Sourced} records, with a mutable record type (an array) inside; the Avro
 * records of the ingest cross a real shuffle in the sources' {@code DeadLetterSplitterITCase}.
 */
class SourcedSerializerTest {

    private final TypeSerializer<Sourced<int[]>> serializer =
            new SourcedTypeInfo<>(PrimitiveArrayTypeInfo.INT_PRIMITIVE_ARRAY_TYPE_INFO)
                    .createSerializer(new SerializerConfigImpl());

    @Test
    void everyFieldSurvivesARoundTrip() throws Exception {
        Sourced<int[]> full = sourced(List.of(header("trace", "t"), header("none", null)));
        Sourced<int[]> bare =
                Sourced.<int[]>builder()
                        .record(new int[0])
                        .partition(0)
                        .offset(0)
                        .value(new byte[0])
                        .build();

        assertSame(roundTrip(full), full);
        assertSame(roundTrip(bare), bare);
    }

    @Test
    void aReplayIsStillOneAfterTheShuffle() throws Exception {
        String of = ReplayHeader.value("substrate.gpu-samples", 1, 9);

        assertThat(roundTrip(sourced(List.of(header(ReplayHeader.NAME, of)))).replayOf())
                .isEqualTo(of);
    }

    @Test
    void copiesTheRecordAndStreamCopiesEveryByte() throws Exception {
        Sourced<int[]> original = sourced(List.of(header("trace", "t")));

        Sourced<int[]> copy = serializer.copy(original);
        copy.record()[0] = 99;
        assertThat(original.record()).as("deep record copy").containsExactly(1, 2, 3);
        assertThat(copy.value()).isSameAs(original.value());

        DataOutputSerializer once = new DataOutputSerializer(256);
        serializer.serialize(original, once);
        DataOutputSerializer copied = new DataOutputSerializer(256);
        serializer.copy(new DataInputDeserializer(once.getCopyOfBuffer()), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(once.getCopyOfBuffer());
    }

    @Test
    void itsSnapshotRestoresAnEqualSerializer() throws Exception {
        TypeSerializerSnapshot<Sourced<int[]>> snapshot = serializer.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(256);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);

        TypeSerializerSnapshot<Sourced<int[]>> restored =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(out.getCopyOfBuffer()),
                        getClass().getClassLoader());

        assertThat(restored.restoreSerializer()).isEqualTo(serializer);
        TypeSerializerSchemaCompatibility<Sourced<int[]>> compatibility =
                serializer.snapshotConfiguration().resolveSchemaCompatibility(restored);
        assertThat(compatibility.isCompatibleAsIs()).isTrue();
    }

    private Sourced<int[]> roundTrip(Sourced<int[]> sourced) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(sourced, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        Sourced<int[]> back = serializer.deserialize(in);
        assertThat(in.available()).as("everything read").isZero();
        return back;
    }

    private static Sourced<int[]> sourced(List<KafkaHeader> headers) {
        return Sourced.<int[]>builder()
                .record(new int[] {1, 2, 3})
                .partition(5)
                .offset(1L << 40)
                .timestamp(1_764_152_130_250L)
                .schemaId(123_456)
                .key("node-1".getBytes(StandardCharsets.UTF_8))
                .value(new byte[] {0, 0, 1, -30, 64, 8, 9})
                .headers(headers)
                .build();
    }

    private static KafkaHeader header(String key, String value) {
        return new KafkaHeader(
                key,
                value == null ? null : ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertSame(Sourced<int[]> actual, Sourced<int[]> expected) {
        assertThat(actual.record()).isEqualTo(expected.record());
        assertThat(actual.partition()).isEqualTo(expected.partition());
        assertThat(actual.offset()).isEqualTo(expected.offset());
        assertThat(actual.timestamp()).isEqualTo(expected.timestamp());
        assertThat(actual.schemaId()).isEqualTo(expected.schemaId());
        assertThat(actual.key()).isEqualTo(expected.key());
        assertThat(actual.value()).isEqualTo(expected.value());
        assertThat(actual.headers()).isEqualTo(expected.headers());
        assertThat(actual.replayOf()).isEqualTo(expected.replayOf());
    }
}
