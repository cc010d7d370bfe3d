package dev.substrate.schemas.wire;

/**
 * A parsed Confluent wire-format frame: the writer schema id and where the Avro payload sits in the
 * original buffer (not copied, so parsing allocates nothing but this record).
 */
public record WireFrame(int schemaId, byte[] buffer, int payloadOffset) {

    /** Number of Avro payload bytes after the header. */
    public int payloadLength() {
        return buffer.length - payloadOffset;
    }
}
