package dev.substrate.operators.testing;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import dev.substrate.events.GpuSample;
import dev.substrate.events.KafkaHeader;
import dev.substrate.operators.pii.PiiKeySource;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.schemas.wire.ReplayHeader;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.testkit.GpuSamples;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/** Records and keys for the governance operators' tests. */
public final class GovernanceFixtures {

    /** A fixed 48-character test key (never a real secret). */
    public static final String TEST_KEY = "test-key-for-substrate-governance-unit-tests-0001";

    /** The schema id of {@link #frame}s. */
    public static final int SCHEMA_ID = 7;

    private GovernanceFixtures() {}

    public static AuditEvent audit(String id, String principal, String address, long millis) {
        return AuditEvent.newBuilder()
                .setEventId(id)
                .setTimestamp(Instant.ofEpochMilli(millis))
                .setPrincipal(principal)
                .setAction(AuditAction.DATA_EXPORT)
                .setResource("dataset/customers")
                .setDataClassification(DataClassification.PII)
                .setOutcome(AuditOutcome.ALLOWED)
                .setAuthMethod("oidc")
                .setEncryptedInTransit(true)
                .setSourceAddress(address)
                .build();
    }

    public static GpuSample gpu(String id, long millis, double utilization) {
        return GpuSamples.reading("c1", "n1", 0, Instant.ofEpochMilli(millis))
                .setEventId(id)
                .setGpuUuid("GPU-1")
                .setUtilizationPct(utilization)
                .setMemoryUtilizationPct(10)
                .setMemoryUsedMib(1000)
                .setTemperatureC(50)
                .setPowerDrawW(300)
                .setPstate(null)
                .setPowerLimitW(null)
                .build();
    }

    /**
     * {@code record} as the source hands it on: read from partition 0 at {@code offset}, with the
     * Kafka timestamp {@code offset + 1000}, key {@code "key-<offset>"}, value its wire-format
     * frame under {@link #SCHEMA_ID}, and {@code headers}.
     */
    public static <T extends SpecificRecord> Sourced<T> sourced(
            T record, long offset, List<KafkaHeader> headers) {
        return Sourced.<T>builder()
                .record(record)
                .partition(0)
                .offset(offset)
                .timestamp(offset + 1_000)
                .schemaId(SCHEMA_ID)
                .key(("key-" + offset).getBytes(StandardCharsets.UTF_8))
                .value(frame(record))
                .headers(headers)
                .build();
    }

    /** {@code record} at offset 0, without headers. */
    public static <T extends SpecificRecord> Sourced<T> sourced(T record) {
        return sourced(record, 0, List.of());
    }

    /**
     * {@code record} replayed from the dead letter of {@code topic}, partition 0, {@code offset}.
     */
    public static <T extends SpecificRecord> Sourced<T> replayOf(
            T record, String topic, long offset) {
        return sourced(
                record,
                offset + 100,
                List.of(header(ReplayHeader.NAME, ReplayHeader.value(topic, 0, offset))));
    }

    /** The record's wire-format frame under {@link #SCHEMA_ID}. */
    public static byte[] frame(SpecificRecord record) {
        return AvroWireEncoder.forSchemaId(SCHEMA_ID, record.getSchema()).encode(record);
    }

    public static KafkaHeader header(String key, String value) {
        return new KafkaHeader(key, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    }

    /** A key source in production mode reading {@link #TEST_KEY} from a file under {@code dir}. */
    public static PiiKeySource keyFile(Path dir) throws IOException {
        Path file = dir.resolve("pii.key");
        Files.writeString(file, TEST_KEY + "\n", StandardCharsets.UTF_8);
        return new PiiKeySource(PiiMode.PRODUCTION, file.toString());
    }
}
