package dev.substrate.sources.telemetry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** Checkpoint format of {@link DcgmEndpointSplit}, version 1. */
public final class DcgmEndpointSplitSerializer
        implements SimpleVersionedSerializer<DcgmEndpointSplit> {

    public static final DcgmEndpointSplitSerializer INSTANCE = new DcgmEndpointSplitSerializer();

    @Override
    public int getVersion() {
        return 1;
    }

    @Override
    public byte[] serialize(DcgmEndpointSplit split) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(split.index());
            out.writeUTF(split.url());
            out.writeUTF(split.region());
            out.writeUTF(split.cluster());
            out.writeUTF(split.defaultNode());
            out.writeLong(split.scrapesDone());
        }
        return bytes.toByteArray();
    }

    @Override
    public DcgmEndpointSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != 1) {
            throw new IOException("Unknown DCGM endpoint split version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            return new DcgmEndpointSplit(
                    in.readInt(),
                    in.readUTF(),
                    in.readUTF(),
                    in.readUTF(),
                    in.readUTF(),
                    in.readLong());
        }
    }
}
