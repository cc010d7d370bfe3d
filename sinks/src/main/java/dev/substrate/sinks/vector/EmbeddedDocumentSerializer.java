package dev.substrate.sinks.vector;

import dev.substrate.vectors.DocumentCodec;
import dev.substrate.vectors.EmbeddedDocument;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** Flink's serializer of {@link EmbeddedDocument}s, in flight and in checkpoints. */
public final class EmbeddedDocumentSerializer extends DocumentCodecSerializer<EmbeddedDocument> {

    private static final long serialVersionUID = 1L;

    public static final EmbeddedDocumentSerializer INSTANCE = new EmbeddedDocumentSerializer();

    private EmbeddedDocumentSerializer() {}

    @Override
    void write(EmbeddedDocument value, DataOutputView out) throws IOException {
        DocumentCodec.write(value, out);
    }

    @Override
    EmbeddedDocument read(DataInputView in) throws IOException {
        return DocumentCodec.readEmbedded(in);
    }

    @Override
    public TypeSerializerSnapshot<EmbeddedDocument> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The layout is versioned inside each record, so the snapshot only names the serializer. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<EmbeddedDocument> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
