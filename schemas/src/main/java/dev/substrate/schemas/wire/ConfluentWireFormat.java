package dev.substrate.schemas.wire;

import java.util.Objects;

/**
 * The Confluent Schema Registry wire format: magic byte {@code 0}, the writer schema id as a 4-byte
 * big-endian int, then the Avro binary encoding of the record.
 */
public final class ConfluentWireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private ConfluentWireFormat() {}

    /** Prepends the wire-format header for {@code schemaId} to an Avro binary payload. */
    public static byte[] frame(int schemaId, byte[] avroPayload) {
        Objects.requireNonNull(avroPayload, "avroPayload");
        byte[] framed = new byte[HEADER_SIZE + avroPayload.length];
        writeHeader(schemaId, framed);
        System.arraycopy(avroPayload, 0, framed, HEADER_SIZE, avroPayload.length);
        return framed;
    }

    /** Writes the 5-byte header for {@code schemaId} into the start of {@code target}. */
    static void writeHeader(int schemaId, byte[] target) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }

    /**
     * Reads the header of a wire-format value (which may be null) without copying the payload.
     *
     * @throws MalformedFrameException when the value is null, empty, shorter than the header or
     *     does not start with the magic byte
     */
    public static WireFrame parse(byte[] value) throws MalformedFrameException {
        if (value == null) {
            throw new MalformedFrameException(
                    "value is null (a tombstone), expected a Confluent wire-format frame");
        }
        if (value.length == 0) {
            throw new MalformedFrameException(
                    "value is empty, expected a Confluent wire-format frame");
        }
        if (value[0] != MAGIC_BYTE) {
            throw new MalformedFrameException(
                    String.format(
                            "magic byte is 0x%02X, expected 0x00 (not Confluent wire format; value"
                                    + " has %d bytes)",
                            value[0] & 0xFF, value.length));
        }
        if (value.length < HEADER_SIZE) {
            throw new MalformedFrameException(
                    "value is "
                            + value.length
                            + " bytes long, shorter than the 5-byte wire-format header");
        }
        int schemaId =
                ((value[1] & 0xFF) << 24)
                        | ((value[2] & 0xFF) << 16)
                        | ((value[3] & 0xFF) << 8)
                        | (value[4] & 0xFF);
        return new WireFrame(schemaId, value, HEADER_SIZE);
    }
}
