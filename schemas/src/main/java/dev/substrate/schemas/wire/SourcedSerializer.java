package dev.substrate.schemas.wire;

import dev.substrate.events.KafkaHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.typeutils.CompositeTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Serializes a {@link Sourced} record between operators: the record with its own serializer, then
 * partition, offset, timestamp, schema id, key, value and headers as plain lengths and bytes. The
 * provenance costs a few array copies per record (the frame and the key), no encoding.
 *
 * <p>{@link #copy} shares the byte arrays and the header list (they are never modified) and copies
 * the record with its serializer.
 */
public final class SourcedSerializer<T> extends TypeSerializer<Sourced<T>> {

    private static final long serialVersionUID = 1L;

    private static final int NULL = -1;

    private final TypeSerializer<T> recordSerializer;

    public SourcedSerializer(TypeSerializer<T> recordSerializer) {
        this.recordSerializer = Objects.requireNonNull(recordSerializer, "recordSerializer");
    }

    TypeSerializer<T> recordSerializer() {
        return recordSerializer;
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<Sourced<T>> duplicate() {
        TypeSerializer<T> duplicate = recordSerializer.duplicate();
        return duplicate == recordSerializer ? this : new SourcedSerializer<>(duplicate);
    }

    @Override
    public Sourced<T> createInstance() {
        // A Sourced is never reused: it needs a record and a value to exist.
        return null;
    }

    @Override
    public Sourced<T> copy(Sourced<T> from) {
        if (from == null) {
            return null;
        }
        return Sourced.<T>builder()
                .record(recordSerializer.copy(from.record()))
                .partition(from.partition())
                .offset(from.offset())
                .timestamp(from.timestamp())
                .schemaId(from.schemaId())
                .key(from.key())
                .value(from.value())
                .headers(from.headers())
                .build();
    }

    @Override
    public Sourced<T> copy(Sourced<T> from, Sourced<T> reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Sourced<T> sourced, DataOutputView out) throws IOException {
        recordSerializer.serialize(sourced.record(), out);
        out.writeInt(sourced.partition());
        out.writeLong(sourced.offset());
        out.writeLong(sourced.timestamp());
        out.writeInt(sourced.schemaId());
        writeBytes(sourced.key(), out);
        writeBytes(sourced.value(), out);
        List<KafkaHeader> headers = sourced.headers();
        out.writeInt(headers.size());
        for (KafkaHeader header : headers) {
            StringValue.writeString(header.getKey(), out);
            ByteBuffer value = header.getValue();
            if (value == null) {
                out.writeInt(NULL);
            } else {
                ByteBuffer view = value.duplicate();
                out.writeInt(view.remaining());
                if (view.hasArray()) {
                    out.write(view.array(), view.arrayOffset() + view.position(), view.remaining());
                } else {
                    byte[] bytes = new byte[view.remaining()];
                    view.get(bytes);
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public Sourced<T> deserialize(DataInputView in) throws IOException {
        Sourced.Builder<T> builder =
                Sourced.<T>builder()
                        .record(recordSerializer.deserialize(in))
                        .partition(in.readInt())
                        .offset(in.readLong())
                        .timestamp(in.readLong())
                        .schemaId(in.readInt())
                        .key(readBytes(in))
                        .value(readBytes(in));
        int count = in.readInt();
        if (count > 0) {
            List<KafkaHeader> headers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String key = StringValue.readString(in);
                byte[] value = readBytes(in);
                headers.add(new KafkaHeader(key, value == null ? null : ByteBuffer.wrap(value)));
            }
            builder.headers(Collections.unmodifiableList(headers));
        }
        return builder.build();
    }

    @Override
    public Sourced<T> deserialize(Sourced<T> reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        recordSerializer.copy(in, out);
        out.writeInt(in.readInt());
        out.writeLong(in.readLong());
        out.writeLong(in.readLong());
        out.writeInt(in.readInt());
        copyBytes(in, out);
        copyBytes(in, out);
        int count = in.readInt();
        out.writeInt(count);
        for (int i = 0; i < count; i++) {
            StringValue.copyString(in, out);
            copyBytes(in, out);
        }
    }

    private static void writeBytes(byte[] bytes, DataOutputView out) throws IOException {
        if (bytes == null) {
            out.writeInt(NULL);
        } else {
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    private static byte[] readBytes(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length == NULL) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    private static void copyBytes(DataInputView in, DataOutputView out) throws IOException {
        int length = in.readInt();
        out.writeInt(length);
        if (length > 0) {
            out.write(in, length);
        }
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof SourcedSerializer<?> other
                && recordSerializer.equals(other.recordSerializer);
    }

    @Override
    public int hashCode() {
        return 31 * SourcedSerializer.class.hashCode() + recordSerializer.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<Sourced<T>> snapshotConfiguration() {
        return new Snapshot<>(this);
    }

    /**
     * The serializer's snapshot: the record serializer's snapshot nested, the provenance layout
     * versioned by {@link #getCurrentOuterSnapshotVersion}.
     */
    public static final class Snapshot<T>
            extends CompositeTypeSerializerSnapshot<Sourced<T>, SourcedSerializer<T>> {

        private static final int VERSION = 1;

        /** For Flink's reflective instantiation on restore. */
        public Snapshot() {}

        Snapshot(SourcedSerializer<T> serializer) {
            super(serializer);
        }

        @Override
        protected int getCurrentOuterSnapshotVersion() {
            return VERSION;
        }

        @Override
        protected TypeSerializer<?>[] getNestedSerializers(SourcedSerializer<T> outer) {
            return new TypeSerializer<?>[] {outer.recordSerializer()};
        }

        @Override
        @SuppressWarnings("unchecked")
        protected SourcedSerializer<T> createOuterSerializerWithNestedSerializers(
                TypeSerializer<?>[] nested) {
            return new SourcedSerializer<>((TypeSerializer<T>) nested[0]);
        }
    }
}
