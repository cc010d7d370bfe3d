package dev.substrate.operators.telemetry.windows;

import dev.substrate.schemas.typeinfo.OwnSerializerTypeInfo;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.api.common.typeutils.base.array.DoublePrimitiveArraySerializer;
import org.apache.flink.api.common.typeutils.base.array.IntPrimitiveArraySerializer;
import org.apache.flink.api.common.typeutils.base.array.LongPrimitiveArraySerializer;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Flink type information of {@link GpuWindowAccumulator}, with a serializer written for it.
 *
 * <p>Every 1-minute window's partial crosses four shuffles: pre-aggregation to the window, and the
 * window to the 5-minute windows and to the node rollups of both sizes. Flink's {@code
 * PojoSerializer} took 28% of the telemetry threads' CPU there. Most of that went to reflective
 * instantiation of the accumulator, its four {@link MetricStats} and their sketches, which
 * deserialization then overwrote (docs/BENCHMARKS.md). This serializer writes the fields in a fixed
 * order and builds each object once.
 *
 * <p>State written by the POJO serializer (before this class existed), or by this serializer before
 * {@link GpuWindowAccumulator#closedByQuietTime} existed, is migrated on restore: the snapshot
 * declares it compatible after migration and restores a reader of the old layout.
 */
public final class GpuWindowAccumulatorTypeInfo
        extends OwnSerializerTypeInfo<GpuWindowAccumulator> {

    private static final long serialVersionUID = 1L;

    public static final GpuWindowAccumulatorTypeInfo INSTANCE = new GpuWindowAccumulatorTypeInfo();

    private GpuWindowAccumulatorTypeInfo() {
        super(GpuWindowAccumulator.class, Serializer.INSTANCE);
    }

    /** Referenced by {@code @TypeInfo} on {@link GpuWindowAccumulator}. */
    public static final class Factory extends TypeInfoFactory<GpuWindowAccumulator> {
        @Override
        public TypeInformation<GpuWindowAccumulator> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return INSTANCE;
        }
    }

    /**
     * What the serializers of both layouts share: copies, and the fields of the first layout, in
     * declaration order, nullable ones behind a flag.
     */
    abstract static class LayoutSerializer extends TypeSerializerSingleton<GpuWindowAccumulator> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public GpuWindowAccumulator createInstance() {
            return new GpuWindowAccumulator();
        }

        @Override
        public GpuWindowAccumulator copy(GpuWindowAccumulator from) {
            GpuWindowAccumulator to = new GpuWindowAccumulator();
            to.windowStart = from.windowStart;
            to.windowEnd = from.windowEnd;
            to.region = from.region;
            to.cluster = from.cluster;
            to.node = from.node;
            to.gpuUuid = from.gpuUuid;
            to.model = from.model;
            to.sampleCount = from.sampleCount;
            to.utilization = copy(from.utilization);
            to.power = copy(from.power);
            to.temperature = copy(from.temperature);
            to.memoryUsed = copy(from.memoryUsed);
            to.powerFirstTs = from.powerFirstTs;
            to.powerFirst = from.powerFirst;
            to.powerLastTs = from.powerLastTs;
            to.powerLast = from.powerLast;
            to.powerIntegralWms = from.powerIntegralWms;
            to.powerIntervals = from.powerIntervals;
            to.firstTs = from.firstTs;
            to.firstReasons = from.firstReasons;
            to.lastTs = from.lastTs;
            to.lastReasons = from.lastReasons;
            to.coveredMs = from.coveredMs;
            to.reasonMs = from.reasonMs == null ? null : from.reasonMs.clone();
            to.reasonReadings = from.reasonReadings == null ? null : from.reasonReadings.clone();
            to.eccCorrectedMin = from.eccCorrectedMin;
            to.eccCorrectedMax = from.eccCorrectedMax;
            to.eccUncorrectedMin = from.eccUncorrectedMin;
            to.eccUncorrectedMax = from.eccUncorrectedMax;
            to.xids = from.xids == null ? null : from.xids.clone();
            to.closedByQuietTime = from.closedByQuietTime;
            return to;
        }

        @Nullable
        private static MetricStats copy(@Nullable MetricStats from) {
            return from == null ? null : from.copy();
        }

        @Override
        public GpuWindowAccumulator copy(GpuWindowAccumulator from, GpuWindowAccumulator reuse) {
            return copy(from);
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public GpuWindowAccumulator deserialize(GpuWindowAccumulator reuse, DataInputView in)
                throws IOException {
            return deserialize(in);
        }

        @Override
        public void copy(DataInputView source, DataOutputView target) throws IOException {
            serialize(deserialize(source), target);
        }

        /** The fields of the first layout, which every layout starts with. */
        static void write(GpuWindowAccumulator acc, DataOutputView out) throws IOException {
            out.writeLong(acc.windowStart);
            out.writeLong(acc.windowEnd);
            StringValue.writeString(acc.region, out);
            StringValue.writeString(acc.cluster, out);
            StringValue.writeString(acc.node, out);
            StringValue.writeString(acc.gpuUuid, out);
            StringValue.writeString(acc.model, out);
            out.writeLong(acc.sampleCount);
            writeStats(acc.utilization, out);
            writeStats(acc.power, out);
            writeStats(acc.temperature, out);
            writeStats(acc.memoryUsed, out);
            out.writeLong(acc.powerFirstTs);
            out.writeDouble(acc.powerFirst);
            out.writeLong(acc.powerLastTs);
            out.writeDouble(acc.powerLast);
            out.writeDouble(acc.powerIntegralWms);
            out.writeInt(acc.powerIntervals);
            out.writeLong(acc.firstTs);
            out.writeLong(acc.firstReasons);
            out.writeLong(acc.lastTs);
            out.writeLong(acc.lastReasons);
            out.writeLong(acc.coveredMs);
            writeNullable(acc.reasonMs, DoublePrimitiveArraySerializer.INSTANCE, out);
            writeNullable(acc.reasonReadings, LongPrimitiveArraySerializer.INSTANCE, out);
            out.writeLong(acc.eccCorrectedMin);
            out.writeLong(acc.eccCorrectedMax);
            out.writeLong(acc.eccUncorrectedMin);
            out.writeLong(acc.eccUncorrectedMax);
            writeNullable(acc.xids, IntPrimitiveArraySerializer.INSTANCE, out);
        }

        static GpuWindowAccumulator read(DataInputView in) throws IOException {
            GpuWindowAccumulator acc = new GpuWindowAccumulator();
            acc.windowStart = in.readLong();
            acc.windowEnd = in.readLong();
            acc.region = StringValue.readString(in);
            acc.cluster = StringValue.readString(in);
            acc.node = StringValue.readString(in);
            acc.gpuUuid = StringValue.readString(in);
            acc.model = StringValue.readString(in);
            acc.sampleCount = in.readLong();
            acc.utilization = readStats(in);
            acc.power = readStats(in);
            acc.temperature = readStats(in);
            acc.memoryUsed = readStats(in);
            acc.powerFirstTs = in.readLong();
            acc.powerFirst = in.readDouble();
            acc.powerLastTs = in.readLong();
            acc.powerLast = in.readDouble();
            acc.powerIntegralWms = in.readDouble();
            acc.powerIntervals = in.readInt();
            acc.firstTs = in.readLong();
            acc.firstReasons = in.readLong();
            acc.lastTs = in.readLong();
            acc.lastReasons = in.readLong();
            acc.coveredMs = in.readLong();
            acc.reasonMs = readNullable(DoublePrimitiveArraySerializer.INSTANCE, in);
            acc.reasonReadings = readNullable(LongPrimitiveArraySerializer.INSTANCE, in);
            acc.eccCorrectedMin = in.readLong();
            acc.eccCorrectedMax = in.readLong();
            acc.eccUncorrectedMin = in.readLong();
            acc.eccUncorrectedMax = in.readLong();
            acc.xids = readNullable(IntPrimitiveArraySerializer.INSTANCE, in);
            return acc;
        }

        private static void writeStats(@Nullable MetricStats stats, DataOutputView out)
                throws IOException {
            out.writeBoolean(stats != null);
            if (stats == null) {
                return;
            }
            out.writeLong(stats.count);
            out.writeDouble(stats.sum);
            out.writeDouble(stats.min);
            out.writeDouble(stats.max);
            writeNullable(stats.sketch, QuantileSketchTypeInfo.Serializer.INSTANCE, out);
        }

        @Nullable
        private static MetricStats readStats(DataInputView in) throws IOException {
            if (!in.readBoolean()) {
                return null;
            }
            MetricStats stats = new MetricStats();
            stats.count = in.readLong();
            stats.sum = in.readDouble();
            stats.min = in.readDouble();
            stats.max = in.readDouble();
            stats.sketch = readNullable(QuantileSketchTypeInfo.Serializer.INSTANCE, in);
            return stats;
        }

        /** A flag, then the value if it is not null. */
        private static <T> void writeNullable(
                @Nullable T value, TypeSerializer<T> serializer, DataOutputView out)
                throws IOException {
            out.writeBoolean(value != null);
            if (value != null) {
                serializer.serialize(value, out);
            }
        }

        @Nullable
        private static <T> T readNullable(TypeSerializer<T> serializer, DataInputView in)
                throws IOException {
            return in.readBoolean() ? serializer.deserialize(in) : null;
        }
    }

    /**
     * Writes the accumulator's fields in declaration order, nullable ones behind a flag, and {@link
     * GpuWindowAccumulator#closedByQuietTime} last.
     */
    public static final class Serializer extends LayoutSerializer {
        private static final long serialVersionUID = 1L;

        public static final Serializer INSTANCE = new Serializer();

        @Override
        public void serialize(GpuWindowAccumulator acc, DataOutputView out) throws IOException {
            write(acc, out);
            out.writeBoolean(acc.closedByQuietTime);
        }

        @Override
        public GpuWindowAccumulator deserialize(DataInputView in) throws IOException {
            GpuWindowAccumulator acc = read(in);
            acc.closedByQuietTime = in.readBoolean();
            return acc;
        }

        @Override
        public TypeSerializerSnapshot<GpuWindowAccumulator> snapshotConfiguration() {
            return new Snapshot();
        }
    }

    /**
     * Reads and writes the first layout of {@link Serializer}, without {@link
     * GpuWindowAccumulator#closedByQuietTime}: restores state written before it existed.
     */
    public static final class LegacySerializer extends LayoutSerializer {
        private static final long serialVersionUID = 1L;

        public static final LegacySerializer INSTANCE = new LegacySerializer();

        @Override
        public void serialize(GpuWindowAccumulator acc, DataOutputView out) throws IOException {
            write(acc, out);
        }

        @Override
        public GpuWindowAccumulator deserialize(DataInputView in) throws IOException {
            return read(in);
        }

        @Override
        public TypeSerializerSnapshot<GpuWindowAccumulator> snapshotConfiguration() {
            // Only ever restored from old snapshots; never the serializer of new state.
            throw new UnsupportedOperationException(
                    "The legacy layout of GpuWindowAccumulator is read only while migrating");
        }
    }

    /**
     * Savepoint compatibility of {@link Serializer}. Version 4 is the current layout; versions 2
     * and 3 are the snapshots this class wrote as a {@code SimpleTypeSerializerSnapshot}, of the
     * layout without {@link GpuWindowAccumulator#closedByQuietTime}: their state is read with
     * {@link LegacySerializer} and rewritten. State that Flink's POJO serializer wrote is migrated
     * too.
     */
    public static final class Snapshot implements TypeSerializerSnapshot<GpuWindowAccumulator> {
        private static final int VERSION = 4;

        private int readVersion = VERSION;

        public Snapshot() {}

        @Override
        public int getCurrentVersion() {
            return VERSION;
        }

        @Override
        public void writeSnapshot(DataOutputView out) {
            // The layout is all there is to the serializer: the version says it.
        }

        @Override
        public void readSnapshot(int version, DataInputView in, ClassLoader classLoader)
                throws IOException {
            switch (version) {
                case 2 -> in.readUTF(); // SimpleTypeSerializerSnapshot's old serializer class name
                case 3, VERSION -> {}
                default ->
                        throw new IOException(
                                "Unknown GpuWindowAccumulator serializer snapshot version "
                                        + version);
            }
            readVersion = version;
        }

        @Override
        public TypeSerializer<GpuWindowAccumulator> restoreSerializer() {
            return readVersion == VERSION ? Serializer.INSTANCE : LegacySerializer.INSTANCE;
        }

        @Override
        public TypeSerializerSchemaCompatibility<GpuWindowAccumulator> resolveSchemaCompatibility(
                TypeSerializerSnapshot<GpuWindowAccumulator> oldSerializerSnapshot) {
            if (oldSerializerSnapshot instanceof PojoSerializerSnapshot) {
                return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
            if (oldSerializerSnapshot instanceof Snapshot old) {
                return old.readVersion == VERSION
                        ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                        : TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
            return TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
