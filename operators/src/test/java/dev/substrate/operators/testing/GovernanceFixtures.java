package dev.substrate.operators.testing;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.pii.PiiKeySource;
import dev.substrate.operators.pii.PiiMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** Records and keys for the governance operators' tests. */
public final class GovernanceFixtures {

    /** A fixed 48-character test key (never a real secret). */
    public static final String TEST_KEY = "test-key-for-substrate-governance-unit-tests-0001";

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
        return GpuSample.newBuilder()
                .setEventId(id)
                .setTimestamp(Instant.ofEpochMilli(millis))
                .setRegion("us-east-1")
                .setCluster("c1")
                .setNode("n1")
                .setGpuUuid("GPU-1")
                .setGpuIndex(0)
                .setModel("NVIDIA H100 80GB HBM3")
                .setUtilizationPct(utilization)
                .setMemoryUtilizationPct(10)
                .setMemoryUsedMib(1000)
                .setMemoryTotalMib(81559)
                .setTemperatureC(50)
                .setPowerDrawW(300)
                .setSmClockMhz(1980)
                .setMemoryClockMhz(2619)
                .setClockEventReasons(0)
                .setEccCorrected(0)
                .setEccUncorrected(0)
                .build();
    }

    /** A key source in production mode reading {@link #TEST_KEY} from a file under {@code dir}. */
    public static PiiKeySource keyFile(Path dir) throws IOException {
        Path file = dir.resolve("pii.key");
        Files.writeString(file, TEST_KEY + "\n", StandardCharsets.UTF_8);
        return new PiiKeySource(PiiMode.PRODUCTION, file.toString());
    }
}
