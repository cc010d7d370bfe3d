package dev.substrate.sources.telemetry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** The enumerator checkpoint of {@link StaticSplitEnumerator}: its pending splits. */
final class SplitListSerializer<SplitT> implements SimpleVersionedSerializer<List<SplitT>> {

    private final SimpleVersionedSerializer<SplitT> splits;

    SplitListSerializer(SimpleVersionedSerializer<SplitT> splits) {
        this.splits = splits;
    }

    @Override
    public int getVersion() {
        return 1;
    }

    @Override
    public byte[] serialize(List<SplitT> list) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(splits.getVersion());
            out.writeInt(list.size());
            for (SplitT split : list) {
                byte[] one = splits.serialize(split);
                out.writeInt(one.length);
                out.write(one);
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public List<SplitT> deserialize(int version, byte[] serialized) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            int splitVersion = in.readInt();
            int size = in.readInt();
            List<SplitT> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                byte[] one = new byte[in.readInt()];
                in.readFully(one);
                list.add(splits.deserialize(splitVersion, one));
            }
            return list;
        }
    }
}
