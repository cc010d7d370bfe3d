package dev.substrate.sinks.vector;

import dev.substrate.vectors.DocumentCodec;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorBatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The vector sink's committables as bytes: they sit in the committer's checkpointed state until the
 * store has committed them.
 */
public final class VectorBatchSerializer implements SimpleVersionedSerializer<VectorBatch> {

    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(VectorBatch batch) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(batch.upserts().size());
            for (EmbeddedDocument upsert : batch.upserts()) {
                DocumentCodec.write(upsert, out);
            }
            out.writeInt(batch.deletions().size());
            for (String id : batch.deletions()) {
                out.writeUTF(id);
            }
            out.writeBoolean(batch.completeUpTo() != null);
            if (batch.completeUpTo() != null) {
                out.writeLong(batch.completeUpTo().toEpochMilli());
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public VectorBatch deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException(
                    "Vector batch version "
                            + version
                            + " is unknown to this build ("
                            + VERSION
                            + ")");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            int upserts = in.readInt();
            List<EmbeddedDocument> documents = new ArrayList<>(upserts);
            for (int i = 0; i < upserts; i++) {
                documents.add(DocumentCodec.readEmbedded(in));
            }
            int deletions = in.readInt();
            List<String> ids = new ArrayList<>(deletions);
            for (int i = 0; i < deletions; i++) {
                ids.add(in.readUTF());
            }
            Instant complete = in.readBoolean() ? Instant.ofEpochMilli(in.readLong()) : null;
            return new VectorBatch(documents, ids, complete);
        }
    }
}
