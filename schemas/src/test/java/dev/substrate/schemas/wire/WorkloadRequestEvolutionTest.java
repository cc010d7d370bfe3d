package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.schemas.SchemaHistory;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * WorkloadRequest v2 adds the STARTED lifecycle, gangs and inference token rates: requests of v1
 * producers read as lone requests without a token rate, and v1 readers still read v2 requests.
 */
class WorkloadRequestEvolutionTest {

    private static final List<Schema> VERSIONS = SchemaHistory.versions("WorkloadRequest");
    private static final Schema V1 = VERSIONS.get(0);
    private static final Schema V2 = WorkloadRequest.getClassSchema();

    @Test
    void theLatestHistoryVersionIsTheGeneratedSchema() {
        assertThat(VERSIONS).hasSize(2);
        assertThat(V1.getField("gang_size")).isNull();
        assertThat(SchemaNormalization.toParsingForm(VERSIONS.get(1)))
                .isEqualTo(SchemaNormalization.toParsingForm(V2));
    }

    @Test
    void backwardCompatibleAsTheRegistryChecksIt() {
        // BACKWARD: the new schema reads what the old one wrote.
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V2, V1).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        // And old readers keep reading (the enum's default stands in for STARTED).
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V1, V2).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void aV1RequestReadsAsALoneRequestWithoutATokenRate() throws Exception {
        GenericRecord old = new GenericData.Record(V1);
        old.put("event_id", "e1");
        old.put("timestamp", 1_000L);
        old.put("request_id", "r1");
        old.put(
                "lifecycle",
                new GenericData.EnumSymbol(V1.getField("lifecycle").schema(), "SUBMITTED"));
        old.put("tenant", "t");
        old.put("model_name", "m");
        old.put("model_version", "1");
        old.put("kind", new GenericData.EnumSymbol(V1.getField("kind").schema(), "TRAINING"));
        old.put("gpus", 16);
        old.put("memory_per_gpu_mib", 40_000L);
        old.put("accelerator_type", "H100-80GB");
        old.put("priority", 4);
        old.put("quality_tags", List.of());

        WorkloadRequest read =
                new SpecificDatumReader<WorkloadRequest>(
                                V1, V2, SpecificData.getForClass(WorkloadRequest.class))
                        .read(null, DecoderFactory.get().binaryDecoder(write(old, V1), null));

        assertThat(read.getGangId()).isNull();
        assertThat(read.getGangSize()).isEqualTo(1);
        assertThat(read.getTokensPerMinute()).isNull();
        assertThat(read.getGpus()).isEqualTo(16);
        assertThat(read.getLifecycle()).isEqualTo(RequestLifecycle.SUBMITTED);
    }

    @Test
    void aV2StartOfAGangMemberReadsWithAV1Reader() throws Exception {
        WorkloadRequest started =
                WorkloadRequest.newBuilder()
                        .setEventId("e2")
                        .setTimestamp(Instant.ofEpochMilli(2_000))
                        .setRequestId("r2")
                        .setLifecycle(RequestLifecycle.STARTED)
                        .setTenant("t")
                        .setModelName("m")
                        .setModelVersion("1")
                        .setKind(WorkloadKind.TRAINING)
                        .setGpus(8)
                        .setMemoryPerGpuMib(70_000L)
                        .setAcceleratorType("H100-80GB")
                        .setPriority(5)
                        .setGangId("g1")
                        .setGangSize(4)
                        .build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<WorkloadRequest>(V2).write(started, encoder);
        encoder.flush();

        GenericRecord read =
                new GenericDatumReader<GenericRecord>(V2, V1)
                        .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));

        assertThat(read.get("request_id").toString()).isEqualTo("r2");
        assertThat(read.get("gpus")).isEqualTo(8);
        // A v1 reader has no STARTED: Avro gives it the enum's default.
        assertThat(read.get("lifecycle").toString()).isEqualTo("SUBMITTED");
        assertThat(read.getSchema().getField("gang_id")).isNull();
    }

    private static byte[] write(GenericRecord record, Schema schema) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return bytes.toByteArray();
    }
}
