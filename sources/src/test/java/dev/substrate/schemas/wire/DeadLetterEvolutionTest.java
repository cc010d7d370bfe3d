package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.KafkaHeader;
import dev.substrate.schemas.SchemaHistory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DatumReader;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;

/**
 * Version 2 of DeadLetter (original headers, the TOMBSTONE reason) reads version 1's dead letters,
 * and version 1 reads version 2's: the dead-letter topic holds both while a cluster upgrades.
 */
class DeadLetterEvolutionTest {

    private static final Schema V1 = SchemaHistory.versions("DeadLetter").get(0);
    private static final Schema V2 = SchemaHistory.versions("DeadLetter").get(1);

    @Test
    void theLatestHistoryVersionIsTheGeneratedClass() {
        assertThat(SchemaHistory.versions("DeadLetter")).hasSize(2);
        assertThat(SchemaNormalization.toParsingForm(V2))
                .isEqualTo(SchemaNormalization.toParsingForm(DeadLetter.getClassSchema()));
    }

    @Test
    void bothVersionsReadEachOther() {
        assertThat(compatibility(V2, V1)).as("new code, old data").isEqualTo(COMPATIBLE);
        assertThat(compatibility(V1, V2)).as("old code, new data").isEqualTo(COMPATIBLE);
    }

    @Test
    void aVersion1DeadLetterReadsAsTheCurrentClassWithoutHeaders() throws Exception {
        GenericRecord old = new GenericData.Record(V1);
        old.put("source_topic", "substrate.gpu-samples");
        old.put("source_partition", 1);
        old.put("source_offset", 99L);
        old.put("source_timestamp", 1_000L);
        old.put("dead_lettered_at", 2_000L);
        old.put("reason", new GenericData.EnumSymbol(V1.getField("reason").schema(), "OTHER"));
        old.put("message", "from version 1");
        old.put("original_value", ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 3, 1}));
        AvroWireEncoder encoder = AvroWireEncoder.forSchemaId(11, V1);

        DeadLetter read =
                read(
                        encoder.encode(old),
                        new SpecificDatumReader<>(
                                V1,
                                DeadLetter.getClassSchema(),
                                SpecificData.getForClass(DeadLetter.class)));

        assertThat(read.getSourceOffset()).isEqualTo(99L);
        assertThat(read.getReason()).isEqualTo(DeadLetterReason.OTHER);
        assertThat(read.getOriginalHeaders()).as("not recorded in version 1").isNull();
        assertThat(read.getOriginalValue().remaining()).isEqualTo(6);
    }

    @Test
    void aTombstoneWithHeadersReadsAsOtherInVersion1() throws Exception {
        DeadLetter tombstone =
                DeadLetter.newBuilder()
                        .setSourceTopic("substrate.audit-events")
                        .setSourcePartition(0)
                        .setSourceOffset(5L)
                        .setSourceTimestamp(Instant.ofEpochMilli(1_000L))
                        .setDeadLetteredAt(Instant.ofEpochMilli(2_000L))
                        .setReason(DeadLetterReason.TOMBSTONE)
                        .setMessage("a tombstone")
                        .setOriginalKey(ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8)))
                        .setOriginalHeaders(
                                List.of(
                                        new KafkaHeader(
                                                "trace",
                                                ByteBuffer.wrap(
                                                        "t-1".getBytes(StandardCharsets.UTF_8))),
                                        new KafkaHeader("empty", null)))
                        .build();
        AvroWireEncoder encoder = AvroWireEncoder.forSchemaId(12, DeadLetter.getClassSchema());
        byte[] frame = encoder.encode(tombstone);

        GenericRecord old = read(frame, new GenericDatumReader<>(V2, V1));
        DeadLetter current = read(frame, new SpecificDatumReader<>(DeadLetter.class));

        assertThat(old.get("reason")).hasToString("OTHER");
        assertThat(old.getSchema().getField("original_headers")).isNull();
        assertThat(old.get("original_value")).isNull();
        assertThat(current).isEqualTo(tombstone);
        assertThat(current.getOriginalHeaders())
                .extracting(KafkaHeader::getKey)
                .containsExactly("trace", "empty");
    }

    private static final SchemaCompatibilityType COMPATIBLE = SchemaCompatibilityType.COMPATIBLE;

    private static SchemaCompatibilityType compatibility(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType();
    }

    private static <R> R read(byte[] value, DatumReader<R> reader) throws Exception {
        return WirePayloads.read(ConfluentWireFormat.parse(value), reader);
    }
}
