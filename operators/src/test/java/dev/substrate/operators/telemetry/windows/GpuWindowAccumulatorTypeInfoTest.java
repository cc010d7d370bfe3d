package dev.substrate.operators.telemetry.windows;

import static dev.substrate.operators.telemetry.windows.Readings.T0;
import static dev.substrate.operators.telemetry.windows.Readings.reading;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.TypeExtractor;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class GpuWindowAccumulatorTypeInfoTest {

    private final TypeSerializer<GpuWindowAccumulator> serializer =
            GpuWindowAccumulatorTypeInfo.Serializer.INSTANCE;

    @Test
    void everyFieldSurvivesARoundTrip() throws Exception {
        GpuWindowAccumulator acc = busyWindow();

        GpuWindowAccumulator back = roundTrip(acc);

        assertSameFields(back, acc);
        assertThat(back.power.quantile(0.99)).isEqualTo(acc.power.quantile(0.99));
        assertThat(back.energyJoules()).isEqualTo(acc.energyJoules());
    }

    @Test
    void nullsSurviveARoundTrip() throws Exception {
        // What a bare constructor leaves: no stats, no names. Also quantiles off: no sketches.
        GpuWindowAccumulator bare = new GpuWindowAccumulator();
        bare.reasonMs = null;
        assertSameFields(roundTrip(bare), bare);
        GpuWindowAccumulator noSketches = GpuWindowAccumulator.create(false);
        noSketches.add(reading("g1", "n1", T0, 50, 300), 60_000);
        GpuWindowAccumulator back = roundTrip(noSketches);
        assertSameFields(back, noSketches);
        assertThat(back.power.sketch).isNull();
    }

    @Test
    void copiesAreDeep() throws Exception {
        GpuWindowAccumulator acc = busyWindow();
        long count = acc.power.count;

        GpuWindowAccumulator copy = serializer.copy(acc);
        // copy() lists the fields a second time: it must miss none of them either.
        assertSameFields(copy, acc);
        copy.power.add(10_000);
        copy.reasonMs[0] = -1;
        copy.xids[0] = -1;

        assertThat(acc.power.count).isEqualTo(count);
        assertThat(acc.power.sketch.count()).isEqualTo(count);
        assertThat(acc.reasonMs[0]).isNotEqualTo(-1);
        assertThat(acc.xids[0]).isEqualTo(79);
    }

    @Test
    void copyingSerializedBytesKeepsThem() throws Exception {
        DataOutputSerializer first = new DataOutputSerializer(256);
        serializer.serialize(busyWindow(), first);
        DataOutputSerializer second = new DataOutputSerializer(256);
        serializer.copy(new DataInputDeserializer(first.getCopyOfBuffer()), second);
        assertThat(second.getCopyOfBuffer()).isEqualTo(first.getCopyOfBuffer());
    }

    @Test
    void stateOfThePojoSerializerIsMigratedOnRestore() {
        // Before this serializer, window state was written by Flink's POJO serializer.
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
        for (Field field : GpuWindowAccumulator.class.getFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                fields.put(field.getName(), TypeExtractor.createTypeInfo(field.getGenericType()));
            }
        }
        TypeSerializerSnapshot<GpuWindowAccumulator> pojoSnapshot =
                Types.POJO(GpuWindowAccumulator.class, fields)
                        .createSerializer(config)
                        .snapshotConfiguration();
        assertThat(pojoSnapshot).isInstanceOf(PojoSerializerSnapshot.class);

        assertThat(
                        serializer
                                .snapshotConfiguration()
                                .resolveSchemaCompatibility(pojoSnapshot)
                                .isCompatibleAfterMigration())
                .isTrue();
        assertThat(
                        serializer
                                .snapshotConfiguration()
                                .resolveSchemaCompatibility(serializer.snapshotConfiguration())
                                .isCompatibleAsIs())
                .isTrue();
    }

    @Test
    void stateWrittenBeforeTheQuietCloseFlagIsMigratedOnRestore() throws Exception {
        // What the first layout's snapshot (a SimpleTypeSerializerSnapshot, version 3) left in a
        // savepoint: the snapshot class's name and version, nothing else.
        DataOutputSerializer snapshotBytes = new DataOutputSerializer(64);
        snapshotBytes.writeUTF(GpuWindowAccumulatorTypeInfo.Snapshot.class.getName());
        snapshotBytes.writeInt(3);
        TypeSerializerSnapshot<GpuWindowAccumulator> old =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(snapshotBytes.getCopyOfBuffer()),
                        getClass().getClassLoader());

        assertThat(
                        serializer
                                .snapshotConfiguration()
                                .resolveSchemaCompatibility(old)
                                .isCompatibleAfterMigration())
                .isTrue();

        // State of that layout is read by the restored serializer: every field, the flag false.
        GpuWindowAccumulator window = busyWindow();
        window.closedByQuietTime = false;
        DataOutputSerializer legacy = new DataOutputSerializer(256);
        GpuWindowAccumulatorTypeInfo.LegacySerializer.INSTANCE.serialize(window, legacy);
        DataInputDeserializer in = new DataInputDeserializer(legacy.getCopyOfBuffer());
        GpuWindowAccumulator back = old.restoreSerializer().deserialize(in);
        assertThat(in.available()).as("bytes left unread").isZero();
        assertSameFields(back, window);
        assertThat(legacy.length()).isEqualTo(serializedLength(window) - 1);
    }

    @Test
    void theCurrentSnapshotRestoresTheCurrentLayout() throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, serializer.snapshotConfiguration());
        TypeSerializerSnapshot<GpuWindowAccumulator> read =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(out.getCopyOfBuffer()),
                        getClass().getClassLoader());

        assertThat(read.restoreSerializer()).isSameAs(serializer);
        assertThat(
                        serializer
                                .snapshotConfiguration()
                                .resolveSchemaCompatibility(read)
                                .isCompatibleAsIs())
                .isTrue();
    }

    private int serializedLength(GpuWindowAccumulator acc) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(acc, out);
        return out.length();
    }

    /** A minute of readings that sets every field: throttling, ECC errors, an XID, a gap. */
    private static GpuWindowAccumulator busyWindow() {
        GpuWindowAccumulator acc = GpuWindowAccumulator.create(true);
        acc.stamp("g1", T0, T0 + 60_000);
        for (int i = 0; i < 120; i++) {
            long ts = T0 + i * 500L + (i > 100 ? 5_000 : 0);
            acc.add(
                    reading(
                            "g1",
                            "n1",
                            "c1",
                            ts,
                            i % 100,
                            100 + i,
                            40 + i % 30,
                            1_000 + i,
                            i % 3 == 0 ? 0x4 : 0x1,
                            i / 10,
                            i / 60,
                            i == 50 ? 79 : 0),
                    2_000);
        }
        acc.closedByQuietTime = true; // not the default, so a round trip that drops it fails
        return acc;
    }

    private GpuWindowAccumulator roundTrip(GpuWindowAccumulator acc) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(acc, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        GpuWindowAccumulator back = serializer.deserialize(in);
        assertThat(in.available()).as("bytes left unread").isZero();
        return back;
    }

    /** Every public field, so that a field added later without serializing it fails here. */
    private static void assertSameFields(GpuWindowAccumulator actual, GpuWindowAccumulator expected)
            throws IllegalAccessException {
        for (Field field : GpuWindowAccumulator.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            Object a = field.get(actual);
            Object e = field.get(expected);
            if (field.getType() == MetricStats.class) {
                assertSameStats(field.getName(), (MetricStats) a, (MetricStats) e);
            } else if (field.getType().isArray()) {
                assertThat(Arrays.deepEquals(new Object[] {a}, new Object[] {e}))
                        .as(field.getName())
                        .isTrue();
            } else {
                assertThat(Objects.equals(a, e)).as(field.getName() + ": " + a).isTrue();
            }
        }
    }

    private static void assertSameStats(String name, MetricStats actual, MetricStats expected) {
        if (expected == null) {
            assertThat(actual).as(name).isNull();
            return;
        }
        assertThat(actual.count).as(name).isEqualTo(expected.count);
        assertThat(actual.sum).as(name).isEqualTo(expected.sum);
        assertThat(actual.min).as(name).isEqualTo(expected.min);
        assertThat(actual.max).as(name).isEqualTo(expected.max);
        if (expected.sketch == null) {
            assertThat(actual.sketch).as(name).isNull();
        } else {
            assertThat(actual.sketch.count()).as(name).isEqualTo(expected.sketch.count());
            for (double q : new double[] {0.01, 0.5, 0.99}) {
                assertThat(actual.sketch.quantile(q))
                        .as(name)
                        .isEqualTo(expected.sketch.quantile(q));
            }
        }
    }
}
