package dev.substrate.sinks.vector;

import dev.substrate.vectors.DocumentCodec;
import dev.substrate.vectors.VectorDocument;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** Flink's serializer of {@link VectorDocument}s, in flight and in checkpoints. */
public final class VectorDocumentSerializer extends DocumentCodecSerializer<VectorDocument> {

    private static final long serialVersionUID = 1L;

    public static final VectorDocumentSerializer INSTANCE = new VectorDocumentSerializer();

    private VectorDocumentSerializer() {}

    @Override
    void write(VectorDocument value, DataOutputView out) throws IOException {
        DocumentCodec.write(value, out);
    }

    @Override
    VectorDocument read(DataInputView in) throws IOException {
        return DocumentCodec.readDocument(in);
    }

    @Override
    public TypeSerializerSnapshot<VectorDocument> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The layout is versioned inside each record, so the snapshot only names the serializer. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<VectorDocument> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
