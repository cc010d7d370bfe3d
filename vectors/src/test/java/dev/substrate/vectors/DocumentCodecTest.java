package dev.substrate.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DocumentCodecTest {

    private static final VectorDocument DOCUMENT =
            new VectorDocument(
                    "node-health/n1/42",
                    "node-health",
                    "x".repeat(40_000),
                    Instant.parse("2026-12-02T10:00:00.123456789Z"),
                    Map.of("region", "eu-west", "severity", "high"),
                    "node_health",
                    "node = 'n1'");

    @Test
    void documentsAndEmbeddedDocumentsReadBackAsWritten() throws IOException {
        assertThat(DocumentCodec.readDocument(in(write(DOCUMENT)))).isEqualTo(DOCUMENT);

        EmbeddedDocument embedded =
                new EmbeddedDocument(DOCUMENT, "minilm", new float[] {0.5f, -1f, 2f}, null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DocumentCodec.write(embedded, new DataOutputStream(bytes));
        EmbeddedDocument read = DocumentCodec.readEmbedded(in(bytes.toByteArray()));
        assertThat(read.document()).isEqualTo(DOCUMENT);
        assertThat(read.model()).isEqualTo("minilm");
        assertThat(read.vector()).containsExactly(0.5f, -1f, 2f);
        assertThat(read.failure()).isNull();
    }

    /**
     * Bytes overwritten in a checkpoint (as CrashRecoveryITCase does) read as huge counts; they
     * must fail with what was out of range instead of allocating gigabytes or reading for long.
     */
    @Test
    void damagedCountsFailWithWhatWasOutOfRange() throws IOException {
        byte[] damaged = write(DOCUMENT);
        // version byte, then the id's chunk count: overwrite it with 0x7f7f7f7f
        Arrays.fill(damaged, 1, 5, (byte) 0x7f);
        assertThatThrownBy(() -> DocumentCodec.readDocument(in(damaged)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("string chunks 2139062143 is outside 0..");

        EmbeddedDocument embedded = new EmbeddedDocument(DOCUMENT, "m", new float[] {1f}, null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DocumentCodec.write(embedded, new DataOutputStream(bytes));
        byte[] vectorDamaged = bytes.toByteArray();
        // the vector length sits before its one float and the failure's presence flag
        int lengthAt = vectorDamaged.length - 1 - Float.BYTES - Integer.BYTES;
        Arrays.fill(vectorDamaged, lengthAt, lengthAt + Integer.BYTES, (byte) 0x7f);
        assertThatThrownBy(() -> DocumentCodec.readEmbedded(in(vectorDamaged)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("vector dimensions 2139062143 is outside -1..");
    }

    private static byte[] write(VectorDocument document) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DocumentCodec.write(document, new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    private static DataInputStream in(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }
}
