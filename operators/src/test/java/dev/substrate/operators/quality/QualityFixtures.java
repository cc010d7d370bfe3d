package dev.substrate.operators.quality;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.testkit.GpuSamples;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Good records of every event type, shaped like the sample generators' and the real H100 trace's
 * (the sources module is not a dependency of operators).
 */
final class QualityFixtures {

    /** The processing time the tests evaluate at. */
    static final Instant NOW = Instant.parse("2026-11-26T22:00:00Z");

    private QualityFixtures() {}

    /** A reading of the real H100 trace: loaded, power-capped, 700 W limit. */
    static GpuSample h100(int i) {
        return GpuSamples.reading(
                        "lab-h100", "lab-h100-n001", 0, NOW.minusSeconds(60).plusMillis(250L * i))
                .setEventId("evt-h100-" + i)
                .setGpuUuid("GPU-bdf0c82b-71b1-6951-de56-987b1c98685f")
                .setUtilizationPct(100.0)
                .setMemoryUtilizationPct(87.0)
                .setMemoryUsedMib(78835)
                .setTemperatureC(72.0)
                .setMemoryTemperatureC(70.0)
                .setPowerDrawW(699.4)
                .setSmClockMhz(1305)
                .setClockEventReasons(4L)
                .build();
    }

    /** An A100 MIG instance of the synthetic fleet. */
    static GpuSample migInstance() {
        return GpuSample.newBuilder(h100(0))
                .setEventId("evt-mig-1")
                .setCluster("usw2-c1")
                .setNode("usw2-c1-n002")
                .setGpuUuid("MIG-5f0e4a1c-2b3d-3c4e-8f9a-0b1c2d3e4f5a")
                .setGpuIndex(3)
                .setModel("NVIDIA A100-SXM4-40GB")
                .setUtilizationPct(35.5)
                .setMemoryUsedMib(3100)
                .setMemoryTotalMib(4864)
                .setPowerDrawW(120.0)
                .setPowerLimitW(400.0)
                .setSmClockMhz(1410)
                .setMemoryClockMhz(1215)
                .setClockEventReasons(0L)
                .setPstate("P2")
                .setMigProfile("1g.5gb")
                .build();
    }

    /** A TPU of the synthetic fleet: no power limit, no memory temperature, no pstate. */
    static GpuSample tpu() {
        return GpuSample.newBuilder(h100(0))
                .setEventId("evt-tpu-1")
                .setCluster("euw1-c1")
                .setNode("euw1-c1-n004")
                .setGpuUuid("TPU-0a1b2c3d-4e5f-3a6b-9c7d-8e9f0a1b2c3d")
                .setGpuIndex(7)
                .setModel("TPU v5 lite")
                .setUtilizationPct(0.0)
                .setMemoryUtilizationPct(0.0)
                .setMemoryUsedMib(0)
                .setMemoryTotalMib(16384)
                .setTemperatureC(31.0)
                .setMemoryTemperatureC(null)
                .setPowerDrawW(40.0)
                .setPowerLimitW(null)
                .setSmClockMhz(1500)
                .setMemoryClockMhz(1600)
                .setClockEventReasons(0L)
                .setPstate(null)
                .build();
    }

    static WorkloadRequest trainingRequest() {
        return WorkloadRequest.newBuilder()
                .setEventId("3f1e1c52-8f0e-3d55-9d0b-1a2b3c4d5e6f")
                .setTimestamp(NOW.minusSeconds(30))
                .setRequestId("req-42-0000017")
                .setLifecycle(RequestLifecycle.SUBMITTED)
                .setTenant("acme-research")
                .setModelName("llama-3.1-70b")
                .setModelVersion("v3")
                .setKind(WorkloadKind.TRAINING)
                .setGpus(64)
                .setMemoryPerGpuMib(78080)
                .setAcceleratorType("H100-80GB")
                .setPriority(7)
                .setPreferredRegion("us-east-1")
                .setDeadline(NOW.plus(Duration.ofHours(6)))
                .build();
    }

    /**
     * The completion of a request whose deadline passed: legal, the deadline is the submission's.
     */
    static WorkloadRequest lateCompletion() {
        return WorkloadRequest.newBuilder(trainingRequest())
                .setEventId("3f1e1c52-8f0e-3d55-9d0b-000000000002")
                .setTimestamp(NOW.minusSeconds(1))
                .setLifecycle(RequestLifecycle.COMPLETED)
                .setDeadline(NOW.minus(Duration.ofHours(1)))
                .build();
    }

    static WorkloadRequest inferenceRequest() {
        return WorkloadRequest.newBuilder(trainingRequest())
                .setEventId("3f1e1c52-8f0e-3d55-9d0b-000000000003")
                .setKind(WorkloadKind.INFERENCE)
                .setGpus(1)
                .setMemoryPerGpuMib(16384)
                .setAcceleratorType("TPU-v5e")
                .setPriority(9)
                .setPreferredRegion(null)
                .setDeadline(null)
                .build();
    }

    static AuditEvent modelInvoke() {
        return AuditEvent.newBuilder()
                .setEventId("7c9e6679-7425-40de-944b-e07fc1f90ae7")
                .setTimestamp(NOW.minusSeconds(5))
                .setPrincipal("maria.garcia@acme.example")
                .setAction(AuditAction.MODEL_INVOKE)
                .setResource("model/llama-3.1-70b")
                .setDataClassification(DataClassification.INTERNAL)
                .setOutcome(AuditOutcome.ALLOWED)
                .setAuthMethod("oidc")
                .setEncryptedInTransit(true)
                .setSourceAddress("10.12.3.45")
                .setModelVersion("v3")
                .build();
    }

    static AuditEvent serviceLoginFromIpv6() {
        return AuditEvent.newBuilder(modelInvoke())
                .setEventId("7c9e6679-7425-40de-944b-000000000002")
                .setPrincipal("svc-scheduler@substrate.internal")
                .setAction(AuditAction.LOGIN)
                .setResource("console")
                .setAuthMethod("mtls")
                .setSourceAddress("2001:db8::8a2e:370:7334")
                .setModelVersion(null)
                .build();
    }

    static EnterpriseEvent crmEvent() {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("account_id", "acct-00017");
        attributes.put("owner", "Maria");
        attributes.put("stage_from", "proposal");
        attributes.put("stage_to", "negotiation");
        return EnterpriseEvent.newBuilder()
                .setEventId("9b2d7d4e-1f3a-3b5c-8d6e-7f8a9b0c1d2e")
                .setTimestamp(NOW.minusSeconds(120))
                .setSourceSystem("crm")
                .setEntityType("opportunity")
                .setEntityId("opp-00017")
                .setEventType("opportunity.stage_changed")
                .setText("Opportunity for H100 reserved capacity moved to negotiation.")
                .setAttributes(attributes)
                .build();
    }

    static EnterpriseEvent logEvent() {
        return EnterpriseEvent.newBuilder(crmEvent())
                .setEventId("9b2d7d4e-1f3a-3b5c-8d6e-000000000002")
                .setSourceSystem("logs")
                .setEntityType("service")
                .setEntityId("inference-gateway")
                .setEventType("log.warn")
                .setText("WARN upstream latency 812 ms above 500 ms budget trace=4bf92f35")
                .setAttributes(Map.of("level", "WARN", "trace_id", "4bf92f35"))
                .build();
    }

    /** Every good fixture, by event type name. */
    static Map<String, List<? extends org.apache.avro.specific.SpecificRecord>> goodRecords() {
        return Map.of(
                "GpuSample", List.of(h100(0), h100(1), migInstance(), tpu()),
                "WorkloadRequest", List.of(trainingRequest(), lateCompletion(), inferenceRequest()),
                "AuditEvent", List.of(modelInvoke(), serviceLoginFromIpv6()),
                "EnterpriseEvent", List.of(crmEvent(), logEvent()));
    }
}
