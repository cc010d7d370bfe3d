package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.testkit.GpuSamples;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.util.Utf8;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

class AvroToRowDataMapperTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:15:30.123Z");

    @Test
    void gpuSampleEveryFieldType() throws Exception {
        GpuSample sample =
                GpuSamples.reading("c1", "node-7", 3, T0)
                        .setEventId("e-1")
                        .setRegion("eu-west")
                        .setGpuUuid("GPU-abc")
                        .setUtilizationPct(97.5)
                        .setMemoryUtilizationPct(41.25)
                        .setMemoryUsedMib(78_000L)
                        .setTemperatureC(71.0)
                        .setPowerDrawW(699.8)
                        .setSmClockMhz(1305)
                        .setClockEventReasons(0x4L)
                        .setEccCorrected(2L)
                        .setXid(79)
                        .build();

        Table t = Table.of(GpuSample.getClassSchema());
        RowData row = t.map(sample);

        assertThat(row.getArity()).isEqualTo(GpuSample.getClassSchema().getFields().size());
        assertThat(t.string(row, "event_id")).isEqualTo("e-1");
        assertThat(row.getTimestamp(t.col("timestamp"), 6).toInstant()).isEqualTo(T0);
        assertThat(t.string(row, "region")).isEqualTo("eu-west");
        assertThat(t.string(row, "cluster")).isEqualTo("c1");
        assertThat(t.string(row, "node")).isEqualTo("node-7");
        assertThat(t.string(row, "gpu_uuid")).isEqualTo("GPU-abc");
        assertThat(row.getInt(t.col("gpu_index"))).isEqualTo(3);
        assertThat(t.string(row, "model")).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(row.getDouble(t.col("utilization_pct"))).isEqualTo(97.5);
        assertThat(row.getDouble(t.col("memory_utilization_pct"))).isEqualTo(41.25);
        assertThat(row.getLong(t.col("memory_used_mib"))).isEqualTo(78_000L);
        assertThat(row.getLong(t.col("memory_total_mib"))).isEqualTo(81_559L);
        assertThat(row.getDouble(t.col("temperature_c"))).isEqualTo(71.0);
        assertThat(row.isNullAt(t.col("memory_temperature_c"))).isTrue();
        assertThat(row.getDouble(t.col("power_draw_w"))).isEqualTo(699.8);
        assertThat(row.getInt(t.col("sm_clock_mhz"))).isEqualTo(1305);
        assertThat(row.getInt(t.col("memory_clock_mhz"))).isEqualTo(2619);
        assertThat(row.getLong(t.col("clock_event_reasons"))).isEqualTo(4L);
        assertThat(row.getLong(t.col("ecc_corrected"))).isEqualTo(2L);
        assertThat(row.getLong(t.col("ecc_uncorrected"))).isZero();
        assertThat(row.getInt(t.col("xid"))).isEqualTo(79);
        assertThat(t.string(row, "pstate")).isEqualTo("P0");
        assertThat(row.getDouble(t.col("power_limit_w"))).isEqualTo(700.0);
        assertThat(row.isNullAt(t.col("mig_profile"))).isTrue();
    }

    @Test
    void auditEventEnumsBecomeStringsAndBooleansStay() throws Exception {
        AuditEvent event =
                AuditEvent.newBuilder()
                        .setEventId("a-1")
                        .setTimestamp(T0)
                        .setPrincipal("alice@example.com")
                        .setAction(AuditAction.DATA_EXPORT)
                        .setResource("s3://bucket/pii.parquet")
                        .setDataClassification(DataClassification.PII)
                        .setOutcome(AuditOutcome.DENIED)
                        .setAuthMethod("mfa")
                        .setEncryptedInTransit(true)
                        .setSourceAddress("10.1.2.3")
                        .setModelVersion("llama-3.1-70b@7")
                        .build();

        Table t = Table.of(AuditEvent.getClassSchema());
        RowData row = t.map(event);

        assertThat(t.string(row, "event_id")).isEqualTo("a-1");
        assertThat(row.getTimestamp(t.col("timestamp"), 6).toInstant()).isEqualTo(T0);
        assertThat(t.string(row, "principal")).isEqualTo("alice@example.com");
        assertThat(t.string(row, "action")).isEqualTo("DATA_EXPORT");
        assertThat(t.string(row, "resource")).isEqualTo("s3://bucket/pii.parquet");
        assertThat(t.string(row, "data_classification")).isEqualTo("PII");
        assertThat(t.string(row, "outcome")).isEqualTo("DENIED");
        assertThat(t.string(row, "auth_method")).isEqualTo("mfa");
        assertThat(row.getBoolean(t.col("encrypted_in_transit"))).isTrue();
        assertThat(t.string(row, "source_address")).isEqualTo("10.1.2.3");
        assertThat(t.string(row, "model_version")).isEqualTo("llama-3.1-70b@7");

        event.setModelVersion(null);
        assertThat(t.map(event).isNullAt(t.col("model_version"))).isTrue();
    }

    @Test
    void enterpriseEventMapOfStrings() throws Exception {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("account", "ACME");
        attributes.put("amount", "1200.50");
        attributes.put("currency", "EUR");
        EnterpriseEvent event =
                EnterpriseEvent.newBuilder()
                        .setEventId("x-1")
                        .setTimestamp(T0)
                        .setSourceSystem("erp")
                        .setEntityType("invoice")
                        .setEntityId("INV-9")
                        .setEventType("created")
                        .setText("Invoice INV-9 created for ACME")
                        .setAttributes(attributes)
                        .build();

        Table t = Table.of(EnterpriseEvent.getClassSchema());
        RowData row = t.map(event);

        assertThat(t.string(row, "source_system")).isEqualTo("erp");
        assertThat(t.string(row, "entity_type")).isEqualTo("invoice");
        assertThat(t.string(row, "entity_id")).isEqualTo("INV-9");
        assertThat(t.string(row, "event_type")).isEqualTo("created");
        assertThat(t.string(row, "text")).isEqualTo("Invoice INV-9 created for ACME");
        assertThat(row.getTimestamp(t.col("timestamp"), 6).toInstant()).isEqualTo(T0);
        assertThat(toJavaMap(row.getMap(t.col("attributes")))).isEqualTo(attributes);

        event.setAttributes(Map.of());
        assertThat(t.map(event).getMap(t.col("attributes")).size()).isZero();
    }

    @Test
    void deadLetterBytesNullableIntAndTwoTimestamps() throws Exception {
        byte[] value = {0, 0, 0, 0, 42, (byte) 0xff, 7};
        ByteBuffer valueBuffer = ByteBuffer.wrap(value);
        DeadLetter dead =
                DeadLetter.newBuilder()
                        .setSourceTopic("substrate.gpu-samples")
                        .setSourcePartition(1)
                        .setSourceOffset(123_456_789_012L)
                        .setSourceTimestamp(T0)
                        .setDeadLetteredAt(T0.plusSeconds(2))
                        .setSchemaId(42)
                        .setReason(DeadLetterReason.UNKNOWN_SCHEMA_ID)
                        .setRule(null)
                        .setMessage("schema id 42 is not registered")
                        .setOriginalKey(null)
                        .setOriginalValue(valueBuffer)
                        .build();

        Table t = Table.of(DeadLetter.getClassSchema());
        RowData row = t.map(dead);

        assertThat(t.string(row, "source_topic")).isEqualTo("substrate.gpu-samples");
        assertThat(row.getInt(t.col("source_partition"))).isEqualTo(1);
        assertThat(row.getLong(t.col("source_offset"))).isEqualTo(123_456_789_012L);
        assertThat(row.getTimestamp(t.col("source_timestamp"), 6).toInstant()).isEqualTo(T0);
        assertThat(row.getTimestamp(t.col("dead_lettered_at"), 6).toInstant())
                .isEqualTo(T0.plusSeconds(2));
        assertThat(row.getInt(t.col("schema_id"))).isEqualTo(42);
        assertThat(t.string(row, "reason")).isEqualTo("UNKNOWN_SCHEMA_ID");
        assertThat(row.isNullAt(t.col("rule"))).isTrue();
        assertThat(t.string(row, "message")).isEqualTo("schema id 42 is not registered");
        assertThat(row.isNullAt(t.col("original_key"))).isTrue();
        assertThat(row.getBinary(t.col("original_value"))).containsExactly(value);
        // The record's buffer is read, not consumed: a second reader still sees all bytes.
        assertThat(valueBuffer.remaining()).isEqualTo(value.length);

        dead.setSchemaId(null);
        dead.setOriginalKey(ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8), 0, 1));
        RowData again = t.map(dead);
        assertThat(again.isNullAt(t.col("schema_id"))).isTrue();
        assertThat(again.getBinary(t.col("original_key"))).containsExactly('k');
    }

    @Test
    void workloadRequestOptionalTimestamp() throws Exception {
        WorkloadRequest request =
                WorkloadRequest.newBuilder()
                        .setEventId("w-1")
                        .setTimestamp(T0)
                        .setRequestId("r-1")
                        .setLifecycle(RequestLifecycle.SUBMITTED)
                        .setTenant("search")
                        .setModelName("llama")
                        .setModelVersion("3.1")
                        .setKind(WorkloadKind.TRAINING)
                        .setGpus(8)
                        .setMemoryPerGpuMib(80_000L)
                        .setAcceleratorType("H100-80GB")
                        .setPriority(7)
                        .setPreferredRegion(null)
                        .setDeadline(T0.plusSeconds(3600))
                        .build();

        Table t = Table.of(WorkloadRequest.getClassSchema());
        RowData row = t.map(request);

        assertThat(t.string(row, "kind")).isEqualTo("TRAINING");
        assertThat(row.isNullAt(t.col("preferred_region"))).isTrue();
        assertThat(row.getTimestamp(t.col("deadline"), 6).toInstant())
                .isEqualTo(T0.plusSeconds(3600));
        request.setDeadline(null);
        assertThat(t.map(request).isNullAt(t.col("deadline"))).isTrue();
    }

    @Test
    void genericV1RecordIntoV2TableFillsNewColumnsWithNull() throws Exception {
        Schema v1;
        try (InputStream in =
                getClass().getClassLoader().getResourceAsStream("avro/history/GpuSample.v1.avsc")) {
            assertThat(in).as("GpuSample.v1.avsc on the classpath").isNotNull();
            v1 = new Schema.Parser().parse(in);
        }
        GenericData.Record old = new GenericData.Record(v1);
        for (Schema.Field f : v1.getFields()) {
            Schema s = nonNull(f.schema());
            Object value =
                    switch (s.getType()) {
                        case STRING -> new Utf8("v-" + f.name());
                        case INT -> 5;
                        case LONG -> 1_764_151_200_000L; // epoch millis, no Instant conversion
                        case DOUBLE -> 1.5;
                        default -> null;
                    };
            old.put(f.name(), value);
        }
        // The table as a v2 producer's schema made it (the current class adds quality_tags).
        org.apache.iceberg.Schema v2Table =
                LakeTables.icebergSchema(SchemaHistory.versions("GpuSample").get(1));
        AvroToRowDataMapper<IndexedRecord> mapper = AvroToRowDataMapper.forTable(v1, v2Table);

        RowData row = mapper.map(old);

        Table t = new Table(v2Table, null);
        assertThat(t.string(row, "cluster")).isEqualTo("v-cluster");
        assertThat(row.getTimestamp(t.col("timestamp"), 6).getMillisecond())
                .isEqualTo(1_764_151_200_000L);
        assertThat(row.isNullAt(t.col("power_limit_w"))).isTrue();
        assertThat(row.isNullAt(t.col("mig_profile"))).isTrue();
    }

    @Test
    void stringsBecomeTheirUtf8BytesWhateverTheirAvroClass() {
        assertThat(AvroToRowDataMapper.stringData("Zürich ✓ 東京").toBytes())
                .isEqualTo("Zürich ✓ 東京".getBytes(StandardCharsets.UTF_8));
        // A reused Utf8 keeps a buffer longer than its value: only the value's bytes count.
        Utf8 reused = new Utf8("a much longer earlier value");
        reused.set("node-7");
        assertThat(AvroToRowDataMapper.stringData(reused).toString()).isEqualTo("node-7");
        assertThat(AvroToRowDataMapper.stringData(DataClassification.RESTRICTED).toString())
                .isEqualTo("RESTRICTED");
    }

    @Test
    void refusesAnAvroSchemaThatCannotFillARequiredColumn() {
        Schema withoutCluster =
                org.apache.avro.SchemaBuilder.record("Tiny")
                        .fields()
                        .requiredString("event_id")
                        .endRecord();
        org.apache.iceberg.Schema table = LakeTables.icebergSchema(GpuSample.getClassSchema());

        assertThatThrownBy(() -> AvroToRowDataMapper.forTable(withoutCluster, table))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'timestamp'");
    }

    private static Schema nonNull(Schema s) {
        return s.getType() == Schema.Type.UNION
                ? s.getTypes().stream()
                        .filter(b -> b.getType() != Schema.Type.NULL)
                        .findFirst()
                        .get()
                : s;
    }

    private static Map<String, String> toJavaMap(MapData map) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < map.size(); i++) {
            out.put(
                    map.keyArray().getString(i).toString(),
                    map.valueArray().getString(i).toString());
        }
        return out;
    }

    /** A table schema and a mapper that went through Java serialization, as in a real job. */
    private record Table(
            org.apache.iceberg.Schema schema, AvroToRowDataMapper<IndexedRecord> mapper) {

        static Table of(Schema avro) throws Exception {
            org.apache.iceberg.Schema schema = LakeTables.icebergSchema(avro);
            AvroToRowDataMapper<IndexedRecord> mapper = AvroToRowDataMapper.forTable(avro, schema);
            return new Table(schema, InstantiationUtil.clone(mapper));
        }

        RowData map(IndexedRecord record) throws Exception {
            return mapper.map(record);
        }

        int col(String name) {
            List<org.apache.iceberg.types.Types.NestedField> columns = schema.columns();
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).name().equals(name)) {
                    return i;
                }
            }
            throw new AssertionError("no column " + name + " in " + schema);
        }

        String string(RowData row, String name) {
            return row.getString(col(name)).toString();
        }
    }
}
