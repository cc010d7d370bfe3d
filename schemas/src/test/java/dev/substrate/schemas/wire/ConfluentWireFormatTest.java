package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfluentWireFormatTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 255, 256, 65_537, 16_777_217, Integer.MAX_VALUE, -1})
    void frameAndParseRoundTripTheSchemaIdAndPayload(int schemaId) throws Exception {
        byte[] payload = {10, 20, 30};

        byte[] framed = ConfluentWireFormat.frame(schemaId, payload);
        WireFrame frame = ConfluentWireFormat.parse(framed);

        assertThat(frame.schemaId()).isEqualTo(schemaId);
        assertThat(frame.payloadOffset()).isEqualTo(ConfluentWireFormat.HEADER_SIZE);
        assertThat(frame.payloadLength()).isEqualTo(3);
        assertThat(framed).hasSize(8).startsWith(ConfluentWireFormat.MAGIC_BYTE).endsWith(payload);
    }

    @Test
    void schemaIdIsBigEndian() throws Exception {
        byte[] framed = ConfluentWireFormat.frame(0x01020304, new byte[0]);

        assertThat(framed).containsExactly(0, 1, 2, 3, 4);
        assertThat(ConfluentWireFormat.parse(framed).payloadLength()).isZero();
        assertThat(ConfluentWireFormat.parse(new byte[] {0, 0, 0, 0x01, (byte) 0xF4}).schemaId())
                .isEqualTo(500);
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> ConfluentWireFormat.parse(null))
                .isInstanceOf(MalformedFrameException.class)
                .hasMessageContaining("null");
    }

    @Test
    void rejectsEmpty() {
        assertThatThrownBy(() -> ConfluentWireFormat.parse(new byte[0]))
                .isInstanceOf(MalformedFrameException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void rejectsValuesShorterThanTheHeader() {
        assertThatThrownBy(() -> ConfluentWireFormat.parse(new byte[] {0, 0, 0, 1}))
                .isInstanceOf(MalformedFrameException.class)
                .hasMessageContaining("4 bytes")
                .hasMessageContaining("shorter than the 5-byte");
    }

    @Test
    void rejectsAWrongMagicByteNamingTheByteFound() {
        byte[] json = "{\"gpu\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ConfluentWireFormat.parse(json))
                .isInstanceOf(MalformedFrameException.class)
                .hasMessageContaining("magic byte is 0x7B");
        assertThatThrownBy(() -> ConfluentWireFormat.parse(new byte[] {1, 0, 0, 0, 7, 2}))
                .hasMessageContaining("magic byte is 0x01");
    }
}
