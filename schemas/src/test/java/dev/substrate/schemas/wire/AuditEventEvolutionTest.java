package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.PolicyViolation;
import dev.substrate.schemas.SchemaHistory;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;

/**
 * AuditEvent v2 adds destination, region and tokens for the policies: events of v1 producers read
 * with the three as null, and v1 readers still read v2 events (BACKWARD and FORWARD, as the
 * registry checks them).
 */
class AuditEventEvolutionTest {

    private static final List<Schema> VERSIONS = SchemaHistory.versions("AuditEvent");
    private static final Schema V1 = VERSIONS.get(0);
    private static final Schema V2 = AuditEvent.getClassSchema();

    @Test
    void theLatestHistoryVersionIsTheGeneratedSchema() {
        assertThat(VERSIONS).hasSize(2);
        assertThat(V1.getField("destination")).isNull();
        assertThat(SchemaNormalization.toParsingForm(VERSIONS.get(1)))
                .isEqualTo(SchemaNormalization.toParsingForm(V2));
        assertThat(
                        SchemaNormalization.toParsingForm(
                                SchemaHistory.versions("PolicyViolation").get(0)))
                .isEqualTo(SchemaNormalization.toParsingForm(PolicyViolation.getClassSchema()));
    }

    @Test
    void compatibleBothWays() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V2, V1).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V1, V2).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void aV1EventReadsWithoutDestinationRegionOrTokens() throws Exception {
        GenericRecord old = new GenericData.Record(V1);
        old.put("event_id", "e1");
        old.put("timestamp", 1_000L);
        old.put("principal", "ada@example.com");
        old.put(
                "action",
                new GenericData.EnumSymbol(V1.getField("action").schema(), "DATA_EXPORT"));
        old.put("resource", "dataset/customers-eu");
        old.put(
                "data_classification",
                new GenericData.EnumSymbol(V1.getField("data_classification").schema(), "PII"));
        old.put("outcome", new GenericData.EnumSymbol(V1.getField("outcome").schema(), "ALLOWED"));
        old.put("auth_method", "oidc");
        old.put("encrypted_in_transit", true);
        old.put("source_address", "10.0.0.1");
        old.put("model_version", null);
        old.put("quality_tags", List.of());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(V1).write(old, encoder);
        encoder.flush();

        AuditEvent read =
                new SpecificDatumReader<AuditEvent>(
                                V1, V2, SpecificData.getForClass(AuditEvent.class))
                        .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));

        assertThat(read.getResource()).isEqualTo("dataset/customers-eu");
        assertThat(read.getDestination()).isNull();
        assertThat(read.getRegion()).isNull();
        assertThat(read.getTokens()).isNull();
    }
}
