package dev.substrate.sources.telemetry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** Checkpoint format of {@link NvidiaSmiCsvSplit}, version 1. */
public final class NvidiaSmiCsvSplitSerializer
        implements SimpleVersionedSerializer<NvidiaSmiCsvSplit> {

    public static final NvidiaSmiCsvSplitSerializer INSTANCE = new NvidiaSmiCsvSplitSerializer();

    @Override
    public int getVersion() {
        return 1;
    }

    @Override
    public byte[] serialize(NvidiaSmiCsvSplit split) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(split.index());
            out.writeUTF(split.path());
            out.writeUTF(split.region());
            out.writeUTF(split.cluster());
            out.writeUTF(split.node());
            out.writeUTF(split.zoneId());
            out.writeLong(split.offset());
            out.writeLong(split.lineNumber());
            out.writeBoolean(split.header() != null);
            if (split.header() != null) {
                out.writeUTF(split.header());
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public NvidiaSmiCsvSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != 1) {
            throw new IOException("Unknown nvidia-smi CSV split version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            int index = in.readInt();
            String path = in.readUTF();
            String region = in.readUTF();
            String cluster = in.readUTF();
            String node = in.readUTF();
            String zone = in.readUTF();
            long offset = in.readLong();
            long lineNumber = in.readLong();
            String header = in.readBoolean() ? in.readUTF() : null;
            return new NvidiaSmiCsvSplit(
                    index, path, region, cluster, node, zone, offset, lineNumber, header);
        }
    }
}
