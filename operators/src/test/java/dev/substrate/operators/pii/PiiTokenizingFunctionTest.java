package dev.substrate.operators.pii;

import static dev.substrate.operators.testing.GovernanceFixtures.audit;
import static dev.substrate.operators.testing.GovernanceFixtures.gpu;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.testing.GovernanceFixtures;
import dev.substrate.schemas.wire.Sourced;
import java.nio.file.Path;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PiiTokenizingFunctionTest {

    @TempDir Path dir;

    @Test
    void everyPiiFieldIsReplacedByItsTokenAndNothingElseChanges() throws Exception {
        PiiKeySource keys = GovernanceFixtures.keyFile(dir);
        try (OneInputStreamOperatorTestHarness<Sourced<AuditEvent>, Sourced<AuditEvent>> harness =
                new OneInputStreamOperatorTestHarness<>(
                        new StreamMap<>(new PiiTokenizingFunction<>(AuditEvent.class, keys)))) {
            harness.open();
            AuditEvent first = audit("e1", "alice@example.com", "10.0.0.7", 1_000);
            AuditEvent second = audit("e2", "alice@example.com", "10.0.0.8", 2_000);
            harness.processElement(new StreamRecord<>(GovernanceFixtures.sourced(first), 1_000));
            harness.processElement(new StreamRecord<>(GovernanceFixtures.sourced(second), 2_000));

            AuditEvent out1 = harness.extractOutputValues().get(0).record();
            AuditEvent out2 = harness.extractOutputValues().get(1).record();
            PiiTokenizer expected = new PiiTokenizer(keys.load(java.util.Map.of()));
            assertThat(out1.getPrincipal().toString())
                    .isEqualTo(expected.token("alice@example.com"));
            assertThat(out1.getSourceAddress().toString()).isEqualTo(expected.token("10.0.0.7"));
            assertThat(out2.getPrincipal()).as("joinable").isEqualTo(out1.getPrincipal());
            assertThat(out2.getSourceAddress()).isNotEqualTo(out1.getSourceAddress());
            assertThat(out1.getEventId()).isEqualTo("e1");
            assertThat(out1.getResource()).isEqualTo("dataset/customers");
            assertThat(first.getPrincipal())
                    .as("the input object is not modified")
                    .isEqualTo("alice@example.com");
        }
    }

    @Test
    void aSchemaWithoutPiiPassesThroughWithoutNeedingAKey() throws Exception {
        PiiKeySource noKey = new PiiKeySource(PiiMode.PRODUCTION, null);
        try (OneInputStreamOperatorTestHarness<Sourced<GpuSample>, Sourced<GpuSample>> harness =
                new OneInputStreamOperatorTestHarness<>(
                        new StreamMap<>(new PiiTokenizingFunction<>(GpuSample.class, noKey)))) {
            harness.open();
            GpuSample sample = gpu("g", 1, 50);
            harness.processElement(new StreamRecord<>(GovernanceFixtures.sourced(sample), 1));
            assertThat(harness.extractOutputValues().get(0).record()).isEqualTo(sample);
        }
    }
}
