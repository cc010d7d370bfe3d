package dev.substrate.vectors;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.annotation.Nullable;

/**
 * The one binary layout of documents, shared by everything that must write them down: Flink's
 * serializers (in flight and in checkpoints) and the vector sink's committables. Strings are
 * modified UTF-8 in chunks, so a text of any length fits; a leading version byte lets later layouts
 * read this one.
 */
public final class DocumentCodec {

    /** The layout written now. */
    public static final int VERSION = 1;

    /** {@link DataOutput#writeUTF} takes at most 65,535 bytes; chunks of this many chars fit. */
    private static final int CHUNK = 16_000;

    /**
     * The largest counts a reader believes: damaged bytes (a truncated or overwritten checkpoint)
     * must fail with their name, not allocate gigabytes. A string of 64 Mi chars, 64 Ki metadata
     * entries or vector dimensions are far beyond any document.
     */
    private static final int MAX_CHUNKS = (64 << 20) / CHUNK;

    private static final int MAX_ENTRIES = 1 << 16;
    private static final int MAX_DIMENSIONS = 1 << 16;

    private DocumentCodec() {}

    public static void write(VectorDocument document, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        writeBody(document, out);
    }

    public static VectorDocument readDocument(DataInput in) throws IOException {
        checkVersion(in.readByte());
        return readBody(in);
    }

    public static void write(EmbeddedDocument embedded, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        writeBody(embedded.document(), out);
        writeNullable(embedded.model(), out);
        float[] vector = embedded.vector();
        out.writeInt(vector == null ? -1 : vector.length);
        if (vector != null) {
            for (float value : vector) {
                out.writeFloat(value);
            }
        }
        writeNullable(embedded.failure(), out);
    }

    public static EmbeddedDocument readEmbedded(DataInput in) throws IOException {
        checkVersion(in.readByte());
        VectorDocument document = readBody(in);
        String model = readNullable(in);
        int length = checkCount("vector dimensions", in.readInt(), -1, MAX_DIMENSIONS);
        float[] vector = null;
        if (length >= 0) {
            vector = new float[length];
            for (int i = 0; i < length; i++) {
                vector[i] = in.readFloat();
            }
        }
        String failure = readNullable(in);
        return new EmbeddedDocument(document, model, vector, failure);
    }

    private static void writeBody(VectorDocument document, DataOutput out) throws IOException {
        writeString(document.id(), out);
        writeNullable(document.kind(), out);
        writeNullable(document.text(), out);
        out.writeLong(document.time().getEpochSecond());
        out.writeInt(document.time().getNano());
        out.writeInt(document.metadata().size());
        for (var entry : document.metadata().entrySet()) {
            writeString(entry.getKey(), out);
            writeString(entry.getValue(), out);
        }
        writeNullable(document.sourceTable(), out);
        writeNullable(document.sourceRow(), out);
    }

    private static VectorDocument readBody(DataInput in) throws IOException {
        String id = readString(in);
        String kind = readNullable(in);
        String text = readNullable(in);
        Instant time = Instant.ofEpochSecond(in.readLong(), in.readInt());
        int entries = checkCount("metadata entries", in.readInt(), 0, MAX_ENTRIES);
        Map<String, String> metadata = new LinkedHashMap<>();
        for (int i = 0; i < entries; i++) {
            metadata.put(readString(in), readString(in));
        }
        String sourceTable = readNullable(in);
        String sourceRow = readNullable(in);
        return new VectorDocument(id, kind, text, time, metadata, sourceTable, sourceRow);
    }

    private static void checkVersion(byte version) throws IOException {
        if (version != VERSION) {
            throw new IOException(
                    "Unknown document layout version "
                            + version
                            + " (this build reads "
                            + VERSION
                            + "): the data was written by a newer Substrate");
        }
    }

    private static int checkCount(String what, int count, int min, int max) throws IOException {
        if (count < min || count > max) {
            throw new IOException(
                    "Not a document written by this codec (damaged bytes?): "
                            + what
                            + " "
                            + count
                            + " is outside "
                            + min
                            + ".."
                            + max);
        }
        return count;
    }

    private static void writeNullable(@Nullable String value, DataOutput out) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            writeString(value, out);
        }
    }

    @Nullable
    private static String readNullable(DataInput in) throws IOException {
        return in.readBoolean() ? readString(in) : null;
    }

    private static void writeString(String value, DataOutput out) throws IOException {
        int chunks = (value.length() + CHUNK - 1) / CHUNK;
        out.writeInt(chunks);
        for (int i = 0; i < chunks; i++) {
            out.writeUTF(value.substring(i * CHUNK, Math.min(value.length(), (i + 1) * CHUNK)));
        }
    }

    private static String readString(DataInput in) throws IOException {
        int chunks = checkCount("string chunks", in.readInt(), 0, MAX_CHUNKS);
        if (chunks == 1) {
            return in.readUTF();
        }
        StringBuilder value = new StringBuilder();
        for (int i = 0; i < chunks; i++) {
            value.append(in.readUTF());
        }
        return value.toString();
    }
}
