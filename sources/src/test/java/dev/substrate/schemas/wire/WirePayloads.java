package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;

/** Reads the Avro payload of a wire-format frame in the evolution tests. */
final class WirePayloads {

    private WirePayloads() {}

    /** The frame's payload read with {@code reader}, checking every byte was consumed. */
    static <R> R read(WireFrame frame, DatumReader<R> reader) throws Exception {
        BinaryDecoder in =
                DecoderFactory.get()
                        .binaryDecoder(
                                frame.buffer(), frame.payloadOffset(), frame.payloadLength(), null);
        R record = reader.read(null, in);
        assertThat(in.isEnd()).as("whole payload consumed").isTrue();
        return record;
    }
}
