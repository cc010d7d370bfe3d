package dev.substrate.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuMetrics;
import dev.substrate.events.MetricsLevel;
import dev.substrate.events.WindowClosedBy;
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
 * GpuMetrics v2 adds {@code closed_by}: rows written by v1 writers read WATERMARK, and v1 readers
 * (dashboards, consumers of {@code substrate.gpu-metrics}) read v2 rows without it.
 */
class GpuMetricsEvolutionTest {

    private static final List<Schema> VERSIONS = SchemaHistory.versions("GpuMetrics");
    private static final Schema V1 = VERSIONS.get(0);

    @Test
    void theLatestHistoryVersionIsTheGeneratedSchema() {
        assertThat(VERSIONS).hasSize(2);
        assertThat(V1.getField("closed_by")).isNull();
        assertThat(SchemaNormalization.toParsingForm(VERSIONS.get(1)))
                .isEqualTo(SchemaNormalization.toParsingForm(GpuMetrics.getClassSchema()));
    }

    @Test
    void compatibleBothWays() {
        Schema v2 = GpuMetrics.getClassSchema();
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v2, V1).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V1, v2).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void aV1RowReadsAsClosedByTheWatermark() throws Exception {
        GenericRecord old = new GenericData.Record(V1);
        for (Schema.Field field : V1.getFields()) {
            if (field.hasDefaultValue()) {
                old.put(field.name(), GenericData.get().getDefaultValue(field));
            }
        }
        old.put("window_start", 0L);
        old.put("window_end", 60_000L);
        old.put("window_size_s", 60);
        old.put("level", new GenericData.EnumSymbol(V1.getField("level").schema(), "GPU"));
        old.put("region", "us-east-1");
        old.put("cluster", "c1");
        old.put("gpu_count", 1);
        old.put("sample_count", 240L);
        for (Schema.Field field : V1.getFields()) {
            if (field.name().endsWith("_fraction")) {
                old.put(field.name(), 0.0);
            }
        }
        old.put("ecc_corrected_delta", 0L);
        old.put("ecc_uncorrected_delta", 0L);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(V1).write(old, encoder);
        encoder.flush();
        GpuMetrics read =
                new SpecificDatumReader<GpuMetrics>(
                                V1,
                                GpuMetrics.getClassSchema(),
                                SpecificData.getForClass(GpuMetrics.class))
                        .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));

        assertThat(read.getClosedBy()).isEqualTo(WindowClosedBy.WATERMARK);
        assertThat(read.getSampleCount()).isEqualTo(240L);
        assertThat(read.getLevel()).isEqualTo(MetricsLevel.GPU);
    }

    @Test
    void aV2RowClosedByQuietTimeReadsWithAV1Reader() throws Exception {
        GpuMetrics row =
                GpuMetrics.newBuilder()
                        .setWindowStart(Instant.EPOCH)
                        .setWindowEnd(Instant.ofEpochMilli(60_000))
                        .setWindowSizeS(60)
                        .setLevel(MetricsLevel.NODE)
                        .setRegion("us-east-1")
                        .setCluster("c1")
                        .setNode("n1")
                        .setGpuCount(2)
                        .setSampleCount(480L)
                        .setGpuIdleFraction(0.0)
                        .setApplicationsClocksSettingFraction(0.0)
                        .setSwPowerCapFraction(0.25)
                        .setHwSlowdownFraction(0.0)
                        .setSyncBoostFraction(0.0)
                        .setSwThermalSlowdownFraction(0.0)
                        .setHwThermalSlowdownFraction(0.0)
                        .setHwPowerBrakeSlowdownFraction(0.0)
                        .setEccCorrectedDelta(0L)
                        .setEccUncorrectedDelta(0L)
                        .setClosedBy(WindowClosedBy.QUIET_TIME)
                        .build();

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<>(GpuMetrics.class).write(row, encoder);
        encoder.flush();
        GenericRecord old =
                new GenericDatumReader<GenericRecord>(GpuMetrics.getClassSchema(), V1)
                        .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));

        assertThat(old.getSchema().getField("closed_by")).isNull();
        assertThat(old.get("sample_count")).isEqualTo(480L);
        assertThat(old.get("sw_power_cap_fraction")).isEqualTo(0.25);
    }
}
