package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.testkit.GpuSamples;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DatumReader;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;

/** Old data read by new code and new data read by old code, through the wire encoder. */
class GpuSampleEvolutionTest {

    private static final Schema V1 = GpuSamples.v1();
    private static final Schema V2 = SchemaHistory.versions("GpuSample").get(1);

    /** v3 (v2 plus the ingest's quality_tags) is the generated class. */
    private static final Schema V3 = SchemaHistory.versions("GpuSample").get(2);

    @Test
    void v1RecordsAreReadAsTheCurrentClassWithNewFieldsDefaulted() throws Exception {
        AvroWireEncoder v1Encoder = AvroWireEncoder.forSchemaId(1, V1);
        GenericRecord old = GpuSamples.v1Record(5);

        WireFrame frame = ConfluentWireFormat.parse(v1Encoder.encode(old));
        GpuSample read =
                read(
                        frame,
                        new SpecificDatumReader<>(
                                V1,
                                GpuSample.getClassSchema(),
                                SpecificData.getForClass(GpuSample.class)));

        assertThat(frame.schemaId()).isEqualTo(1);
        assertThat(read.getPowerLimitW()).isNull();
        assertThat(read.getMigProfile()).isNull();
        assertThat(read.getEventId()).isEqualTo("evt-v1-5");
        assertThat(read.getTimestamp()).isEqualTo(GpuSamples.T0.plusMillis(5));
        assertThat(read.getXid()).isEqualTo(79);
        assertThat(read.getEccCorrected()).isEqualTo(2L);
        assertThat(read.getMemoryTemperatureC()).isNull();
        assertThat(read.getPstate()).isEqualTo("P2");
    }

    @Test
    void currentRecordsAreReadByAV1ReaderWithNewFieldsDropped() throws Exception {
        AvroWireEncoder encoder = AvroWireEncoder.forSchemaId(2, GpuSample.getClassSchema());
        GpuSample sample = GpuSamples.current(3);

        WireFrame frame = ConfluentWireFormat.parse(encoder.encode(sample));
        GenericRecord old = read(frame, new GenericDatumReader<>(V3, V1));

        assertThat(old.getSchema().getField("power_limit_w")).isNull();
        assertThat(old.getSchema().getField("mig_profile")).isNull();
        assertThat(old.get("event_id")).hasToString("evt-3");
        assertThat(old.get("timestamp")).isEqualTo(sample.getTimestamp().toEpochMilli());
        assertThat(old.get("power_draw_w")).isEqualTo(699.4);
        assertThat(old.get("clock_event_reasons")).isEqualTo(4L);
        assertThat(old.get("pstate")).hasToString("P0");
    }

    @Test
    void specificRecordsRoundTripWithInstantTimestamps() throws Exception {
        // A history schema matches the generated class although only the class has
        // avro.java.string.
        AvroWireEncoder encoder = AvroWireEncoder.forSchemaId(7, V3);

        for (int i = 0; i < 3; i++) { // the encoder reuses its buffer between records
            GpuSample sample = GpuSamples.current(i);
            WireFrame frame = ConfluentWireFormat.parse(encoder.encode(sample));
            GpuSample read = read(frame, new SpecificDatumReader<>(GpuSample.class));
            assertThat(read).isEqualTo(sample);
        }
    }

    @Test
    void genericRecordsMayCarryInstantTimestamps() throws Exception {
        AvroWireEncoder encoder = AvroWireEncoder.forSchemaId(1, V1);
        GenericRecord old = GpuSamples.v1Record(0);
        old.put("timestamp", Instant.ofEpochMilli(1_234_567L));

        GenericRecord read =
                read(ConfluentWireFormat.parse(encoder.encode(old)), new GenericDatumReader<>(V1));

        assertThat(read.get("timestamp")).isEqualTo(1_234_567L);
    }

    @Test
    void refusesRecordsOfAnotherSchema() {
        AvroWireEncoder encoder = AvroWireEncoder.forSchemaId(1, V1);
        GenericRecord audit = new GenericData.Record(AuditEvent.getClassSchema());

        assertThatThrownBy(() -> encoder.encode(audit))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AuditEvent")
                .hasMessageContaining("schema id 1");
        assertThatThrownBy(() -> encoder.encode(GpuSamples.current(0)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static <R> R read(WireFrame frame, DatumReader<R> reader) throws Exception {
        return WirePayloads.read(frame, reader);
    }
}
