package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.KafkaHeader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourcedTest {

    private static final byte[] FRAME = {0, 0, 0, 0, 9, 42};

    @Test
    void aDeadLetterOfASourcedRecordCarriesEverythingAReplayNeeds() {
        List<KafkaHeader> headers = List.of(header("trace", "t-1"), new KafkaHeader("flag", null));
        Sourced<String> sourced =
                Sourced.<String>builder()
                        .record("decoded")
                        .partition(1)
                        .offset(77)
                        .timestamp(1_234L)
                        .schemaId(9)
                        .key(bytes("gpu-1"))
                        .value(FRAME)
                        .headers(headers)
                        .build();

        DeadLetter dead =
                sourced.deadLetter("substrate.gpu-samples")
                        .setDeadLetteredAt(Instant.ofEpochMilli(5_000L))
                        .setReason(DeadLetterReason.QUALITY_RULE_FAILED)
                        .setRule("r")
                        .setMessage("m")
                        .build();

        assertThat(dead.getSourceTopic()).isEqualTo("substrate.gpu-samples");
        assertThat(dead.getSourcePartition()).isEqualTo(1);
        assertThat(dead.getSourceOffset()).isEqualTo(77L);
        assertThat(dead.getSourceTimestamp()).isEqualTo(Instant.ofEpochMilli(1_234L));
        assertThat(dead.getSchemaId()).isEqualTo(9);
        assertThat(dead.getOriginalKey()).isEqualTo(ByteBuffer.wrap(bytes("gpu-1")));
        assertThat(dead.getOriginalValue()).isEqualTo(ByteBuffer.wrap(FRAME));
        assertThat(dead.getOriginalHeaders()).isEqualTo(headers);
        assertThat(sourced.replayOf()).isNull();
    }

    @Test
    void aReplayIsRecognisedByItsHeader() {
        String of = ReplayHeader.value("substrate.gpu-samples", 0, 12);
        Sourced<String> replay =
                Sourced.<String>builder()
                        .record("r")
                        .partition(0)
                        .offset(40)
                        .value(FRAME)
                        .headers(List.of(header("trace", "x"), header(ReplayHeader.NAME, of)))
                        .build();

        assertThat(of).isEqualTo("substrate.gpu-samples/0/12");
        assertThat(replay.replayOf()).isEqualTo(of);
    }

    @Test
    void aRecordWithoutCoordinatesOrValueIsRefused() {
        assertThatThrownBy(() -> Sourced.<String>builder().record("r").value(FRAME).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("coordinates");
        assertThatThrownBy(
                        () -> Sourced.<String>builder().record("r").partition(0).offset(0).build())
                .hasMessageContaining("value");
    }

    private static KafkaHeader header(String key, String value) {
        return new KafkaHeader(key, ByteBuffer.wrap(bytes(value)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
