package dev.substrate.schemas.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * A {@link BinaryDecoder} over one in-memory payload that refuses string, bytes, array and map
 * lengths larger than the bytes left. Avro itself allocates whatever length the data claims (up to
 * 2 GiB), so a corrupt length would otherwise exhaust the heap instead of becoming a dead letter.
 */
final class LengthCheckingDecoder extends Decoder {

    private BinaryDecoder in;

    /** Points this decoder at a new payload, reusing the underlying binary decoder. */
    void configure(BinaryDecoder binaryDecoder) {
        this.in = binaryDecoder;
    }

    boolean isEnd() throws IOException {
        return in.isEnd();
    }

    private int checkedLength(long length, String what) throws IOException {
        if (length < 0) {
            throw new IOException("Malformed data: negative " + what + " length " + length);
        }
        int remaining = in.inputStream().available();
        if (length > remaining) {
            throw new EOFException(
                    what + " length " + length + " exceeds the " + remaining + " bytes left");
        }
        return (int) length;
    }

    // Every array item or map entry takes at least one byte in the payloads we read (there are no
    // arrays of null), so a count above the bytes left is corrupt.
    private long checkedCount(long count, String what) throws IOException {
        if (count > 0) {
            checkedLength(count, what + " item count");
        }
        return count;
    }

    @Override
    public void readNull() throws IOException {
        in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return in.readDouble();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = checkedLength(in.readLong(), "string");
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        in.readFixed(result.getBytes(), 0, length);
        return result;
    }

    @Override
    public String readString() throws IOException {
        int length = checkedLength(in.readLong(), "string");
        if (length == 0) {
            return "";
        }
        byte[] bytes = new byte[length];
        in.readFixed(bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void skipString() throws IOException {
        in.skipFixed(checkedLength(in.readLong(), "string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = checkedLength(in.readLong(), "bytes");
        // Never reuses old: the decoded record owns its buffer.
        byte[] bytes = new byte[length];
        in.readFixed(bytes, 0, length);
        return ByteBuffer.wrap(bytes);
    }

    @Override
    public void skipBytes() throws IOException {
        in.skipFixed(checkedLength(in.readLong(), "bytes"));
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return in.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
        return checkedCount(in.readArrayStart(), "array");
    }

    @Override
    public long arrayNext() throws IOException {
        return checkedCount(in.arrayNext(), "array");
    }

    @Override
    public long skipArray() throws IOException {
        return in.skipArray();
    }

    @Override
    public long readMapStart() throws IOException {
        return checkedCount(in.readMapStart(), "map");
    }

    @Override
    public long mapNext() throws IOException {
        return checkedCount(in.mapNext(), "map");
    }

    @Override
    public long skipMap() throws IOException {
        return in.skipMap();
    }

    @Override
    public int readIndex() throws IOException {
        return in.readIndex();
    }
}
