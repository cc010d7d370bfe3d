package dev.substrate.jobs.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AnomalyMetric;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuAnomaly;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.events.PolicySeverity;
import dev.substrate.events.PolicyViolation;
import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.operators.pii.FreeTextTokenizer;
import dev.substrate.operators.pii.PiiKeySource;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.operators.pii.PiiTokenizer;
import dev.substrate.vectors.VectorDocument;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What each kind of record becomes: id, kind, text, metadata and lineage. */
class DocumentMappersTest {

    private static final Instant T = Instant.parse("2026-11-26T09:58:10Z");
    private static final PiiTokenizer TOKENS =
            new PiiTokenizer(
                    new PiiKeySource(PiiMode.PRODUCTION, null)
                            .load(Map.of(PiiKeySource.ENV_KEY, "k".repeat(40))));
    private static final MapperContext CONTEXT = new MapperContext(new FreeTextTokenizer(TOKENS));

    @Test
    void aDrainIsAnIncidentWithItsReasonsAndLineage() {
        VectorDocument doc =
                new NodeHealthDocuments()
                        .toDocument(
                                health(
                                        NodeStatus.UP,
                                        NodeStatus.DRAIN,
                                        List.of(
                                                "xid 79 on GPU-3f2a (GPU 3): GPU has fallen off the"
                                                        + " bus (drain)")));
        assertThat(doc.id()).isEqualTo("node-health:h100-a/n7@" + T.toEpochMilli() + ":DRAIN");
        assertThat(doc.kind()).isEqualTo("node-health");
        assertThat(doc.text())
                .isEqualTo(
                        "Node n7 in cluster h100-a (us-east-1) changed from UP to DRAIN at"
                                + " 2026-11-26T09:58:10Z; health score 20/100. Reasons: xid 79 on"
                                + " GPU-3f2a (GPU 3): GPU has fallen off the bus (drain).");
        assertThat(doc.metadata())
                .containsEntry("severity", "critical")
                .containsEntry("cluster", "h100-a")
                .containsEntry("node", "n7")
                .containsEntry("region", "us-east-1");
        assertThat(doc.sourceTable()).isEqualTo("node_health");
        assertThat(doc.sourceRow())
                .isEqualTo(
                        "cluster = 'h100-a' AND node = 'n7' AND changed_at = TIMESTAMP"
                                + " '2026-11-26 09:58:10' AND status = 'DRAIN'");
        assertThat(doc.time()).isEqualTo(T);
    }

    @Test
    void aNodesFirstUpAndChangesWithinUpAreNoIncidentsButARecoveryIs() {
        NodeHealthDocuments mapper = new NodeHealthDocuments();
        assertThat(mapper.toDocument(health(null, NodeStatus.UP, List.of()))).isNull();
        assertThat(mapper.toDocument(health(NodeStatus.UP, NodeStatus.UP, List.of()))).isNull();
        VectorDocument recovery =
                mapper.toDocument(health(NodeStatus.DRAIN, NodeStatus.UP, List.of()));
        assertThat(recovery.text()).contains("changed from DRAIN to UP").contains("healthy again");
        assertThat(recovery.metadata()).containsEntry("severity", "info");
    }

    @Test
    void rejectedAndPreemptedDecisionsAreDocumentsWithTheirReasonOthersAreNot() {
        SchedulingDecision.Builder decision =
                SchedulingDecision.newBuilder()
                        .setDecisionId("r-42#2")
                        .setRequestId("r-42")
                        .setSequence(2)
                        .setTenant("acme")
                        .setAction(SchedulingAction.PREEMPT)
                        .setDecidedAt(T)
                        .setKind("TRAINING")
                        .setAcceleratorType("H100")
                        .setGpus(8)
                        .setPriority(5)
                        .setEffectivePriority(5)
                        .setRegion("us-east-1")
                        .setCluster("h100-a")
                        .setNode("n7")
                        .setTargets(List.of())
                        .setReason("evicted for a higher-priority request")
                        .setCause("r-77")
                        .setCandidates(List.of())
                        .setNodesConsidered(0)
                        .setNodesFiltered(Map.of())
                        .setHealthVersion(1)
                        .setCapacityVersion(1)
                        .setProcessingLatencyMs(0)
                        .setEmittedAt(T);
        SchedulingDecisionDocuments mapper = new SchedulingDecisionDocuments();

        VectorDocument doc = mapper.toDocument(decision.build());
        assertThat(doc.id()).isEqualTo("scheduling-decision:r-42#2");
        assertThat(doc.text())
                .isEqualTo(
                        "Request r-42 of tenant acme (TRAINING, 8 x H100 GPUs, priority 5) was"
                                + " preempted: evicted for a higher-priority request. Because of"
                                + " request r-77.");
        assertThat(doc.metadata())
                .containsEntry("tenant", "acme")
                .containsEntry("action", "preempt")
                .containsEntry("cluster", "h100-a");
        assertThat(doc.sourceTable()).isEqualTo("scheduling_decisions");
        assertThat(doc.sourceRow()).isEqualTo("decision_id = 'r-42#2'");

        assertThat(mapper.toDocument(decision.setAction(SchedulingAction.REJECT).build()).text())
                .contains("was rejected");
        assertThat(mapper.toDocument(decision.setAction(SchedulingAction.ASSIGN).build())).isNull();
        assertThat(mapper.toDocument(decision.setAction(SchedulingAction.QUEUE).build())).isNull();
    }

    @Test
    void aViolationIsItsNarrativeWithPiiTokenizedAndItsPolicyAsMetadata() {
        PolicyViolation violation =
                PolicyViolation.newBuilder()
                        .setViolationId("v-1")
                        .setRevision(2)
                        .setPolicyId("data-exfiltration")
                        .setPolicyVersion(3)
                        .setSeverity(PolicySeverity.HIGH)
                        .setKey("svc-42")
                        .setKeyKind("principal")
                        .setFirstEventAt(T.minusSeconds(60))
                        .setLastEventAt(T)
                        .setEvidence(List.of("e-1", "e-2"))
                        .setNarrative(
                                "svc-42 read customer data, then sent it to mallory@example.com.")
                        .setSuppressedCount(4)
                        .setDetectedAt(T.plusSeconds(1))
                        .setDetectionLatencyMs(1_000)
                        .build();
        PolicyViolationDocuments mapper = new PolicyViolationDocuments();
        mapper.open(CONTEXT);

        VectorDocument doc = mapper.toDocument(violation);

        assertThat(doc.id())
                .as("every revision upserts one document")
                .isEqualTo("policy-violation:v-1");
        assertThat(doc.text()).startsWith("svc-42 read customer data").doesNotContain("mallory");
        assertThat(doc.time()).isEqualTo(T);
        assertThat(doc.metadata())
                .containsEntry("severity", "high")
                .containsEntry("policy", "data-exfiltration")
                .containsEntry("policy_version", "3")
                .containsEntry("principal", "svc-42");
        assertThat(doc.sourceTable()).isEqualTo("policy_violations");
        assertThat(doc.sourceRow()).isEqualTo("violation_id = 'v-1'");
    }

    @Test
    void anAnomalySaysHowFarFromItsBaseline() {
        GpuAnomaly anomaly =
                GpuAnomaly.newBuilder()
                        .setRegion("us-east-1")
                        .setCluster("h100-a")
                        .setNode("n7")
                        .setGpuUuid("GPU-3f2a")
                        .setGpuIndex(3)
                        .setModel("NVIDIA H100 80GB HBM3")
                        .setMetric(AnomalyMetric.TEMPERATURE)
                        .setValue(88.0)
                        .setBaselineMean(64.1)
                        .setBaselineStddev(3.9)
                        .setZScore(6.13)
                        .setConsecutive(3)
                        .setStartedAt(T.minusSeconds(3))
                        .setTimestamp(T)
                        .build();
        VectorDocument doc = new GpuAnomalyDocuments().toDocument(anomaly);
        assertThat(doc.id()).isEqualTo("gpu-anomaly:GPU-3f2a:TEMPERATURE@" + T.toEpochMilli());
        assertThat(doc.text())
                .isEqualTo(
                        "GPU 3 (GPU-3f2a, NVIDIA H100 80GB HBM3) on node n7 in cluster h100-a"
                            + " (us-east-1): temperature 88.0 C is 6.1 standard deviations above"
                            + " its baseline of 64.1 C (±3.9 C) for 3 readings since"
                            + " 2026-11-26T09:58:07Z.");
        assertThat(doc.metadata())
                .containsEntry("severity", "critical")
                .containsEntry("metric", "temperature");
    }

    @Test
    void enterpriseTextIsTokenizedAndTheKindFollowsTheSourceSystem() {
        EnterpriseEventDocuments mapper = new EnterpriseEventDocuments();
        mapper.open(CONTEXT);
        EnterpriseEvent event =
                EnterpriseEvent.newBuilder()
                        .setEventId("e-1")
                        .setTimestamp(T)
                        .setSourceSystem("crm")
                        .setEntityType("case")
                        .setEntityId("CASE-000412")
                        .setEventType("case.opened")
                        .setText(
                                "Jane Doe (jane.doe@acme.example) reported slow responses. Call"
                                        + " back on +1-202-555-0147.")
                        .setAttributes(Map.of("priority", "high"))
                        .build();
        VectorDocument doc = mapper.toDocument(event);
        assertThat(doc.id()).isEqualTo("enterprise-event:e-1");
        assertThat(doc.kind()).isEqualTo("crm-event");
        assertThat(doc.text())
                .startsWith("crm case.opened on case CASE-000412: tok_")
                .contains("reported slow responses")
                .doesNotContain("Jane", "jane.doe", "acme.example", "202-555");
        assertThat(doc.sourceRow()).isEqualTo("event_id = 'e-1'");
        assertThat(mapper.toDocument(EnterpriseEvent.newBuilder(event).setText(" ").build()))
                .isNull();
        assertThat(EnterpriseEventDocuments.kindOf("Field Service"))
                .isEqualTo("field-service-event");
    }

    @Test
    void aDeadLetterSaysWhereFromAndWhy() {
        DeadLetterDocuments mapper = new DeadLetterDocuments();
        mapper.open(CONTEXT);
        DeadLetter deadLetter =
                DeadLetter.newBuilder()
                        .setSourceTopic("substrate.gpu-samples")
                        .setSourcePartition(1)
                        .setSourceOffset(20417)
                        .setSourceTimestamp(T)
                        .setDeadLetteredAt(T)
                        .setReason(DeadLetterReason.QUALITY_RULE_FAILED)
                        .setRule("timestamp_not_in_future")
                        .setMessage("timestamp is later than now + 5m")
                        .setOriginalValue(ByteBuffer.wrap(new byte[] {0}))
                        .build();
        VectorDocument doc = mapper.toDocument(deadLetter);
        assertThat(doc.id()).isEqualTo("dead-letter:substrate.gpu-samples/1@20417");
        assertThat(doc.text())
                .isEqualTo(
                        "Dead letter from substrate.gpu-samples partition 1 offset 20417:"
                            + " QUALITY_RULE_FAILED by rule timestamp_not_in_future. timestamp is"
                            + " later than now + 5m");
        assertThat(doc.metadata()).containsEntry("reason", "QUALITY_RULE_FAILED");
    }

    private static NodeHealth health(NodeStatus previous, NodeStatus status, List<String> reasons) {
        return NodeHealth.newBuilder()
                .setRegion("us-east-1")
                .setCluster("h100-a")
                .setNode("n7")
                .setStatus(status)
                .setPreviousStatus(previous)
                .setScore(status == NodeStatus.UP ? 100 : 20)
                .setReasons(reasons)
                .setSince(T)
                .setChangedAt(T)
                .setLastSampleAt(T)
                .build();
    }
}
