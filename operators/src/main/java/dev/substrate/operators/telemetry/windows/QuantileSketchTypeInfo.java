package dev.substrate.operators.telemetry.windows;

import dev.substrate.schemas.typeinfo.OwnSerializerTypeInfo;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink type information of {@link QuantileSketch}: the sketch travels and is checkpointed as its
 * length-prefixed DDSketch encoding. Found through the {@code @TypeInfo} annotation, so POJO
 * accumulators holding sketches need no Kryo ({@code pipeline.generic-types: false} holds).
 */
public final class QuantileSketchTypeInfo extends OwnSerializerTypeInfo<QuantileSketch> {

    private static final long serialVersionUID = 1L;

    public static final QuantileSketchTypeInfo INSTANCE = new QuantileSketchTypeInfo();

    private QuantileSketchTypeInfo() {
        super(QuantileSketch.class, Serializer.INSTANCE);
    }

    /** Referenced by {@code @TypeInfo} on {@link QuantileSketch}. */
    public static final class Factory extends TypeInfoFactory<QuantileSketch> {
        @Override
        public TypeInformation<QuantileSketch> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return INSTANCE;
        }
    }

    /** Writes a sketch as an int length and its DDSketch encoding. */
    public static final class Serializer extends TypeSerializerSingleton<QuantileSketch> {
        private static final long serialVersionUID = 1L;

        public static final Serializer INSTANCE = new Serializer();

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public QuantileSketch createInstance() {
            return new QuantileSketch();
        }

        @Override
        public QuantileSketch copy(QuantileSketch from) {
            return from.copy();
        }

        @Override
        public QuantileSketch copy(QuantileSketch from, QuantileSketch reuse) {
            return from.copy();
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public void serialize(QuantileSketch record, DataOutputView target) throws IOException {
            byte[] bytes = record.toBytes();
            target.writeInt(bytes.length);
            target.write(bytes);
        }

        @Override
        public QuantileSketch deserialize(DataInputView source) throws IOException {
            byte[] bytes = new byte[source.readInt()];
            source.readFully(bytes);
            return QuantileSketch.fromBytes(bytes);
        }

        @Override
        public QuantileSketch deserialize(QuantileSketch reuse, DataInputView source)
                throws IOException {
            return deserialize(source);
        }

        @Override
        public void copy(DataInputView source, DataOutputView target) throws IOException {
            int length = source.readInt();
            target.writeInt(length);
            target.write(source, length);
        }

        @Override
        public TypeSerializerSnapshot<QuantileSketch> snapshotConfiguration() {
            return new Snapshot();
        }
    }

    /** Savepoint compatibility of {@link Serializer}: version 1, the DDSketch encoding. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<QuantileSketch> {
        public Snapshot() {
            super(() -> Serializer.INSTANCE);
        }
    }
}
