package dev.substrate.operators.quality;

import static dev.substrate.operators.quality.QualityFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.DataClassification;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.schemas.EventType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The rule files shipped beside the schemas: they load, pass good data and refuse bad data. */
class ShippedRulesTest {

    @ParameterizedTest
    @EnumSource(
            value = EventType.class,
            names = {"GPU_SAMPLE", "WORKLOAD_REQUEST", "AUDIT_EVENT", "ENTERPRISE_EVENT"})
    void everyInputTypeHasARuleFileWithMeaningfulRules(EventType type) {
        String name = type.recordClass().getSimpleName();

        RuleSet rules = RuleSet.load(name);

        assertThat(rules.eventTypeName()).isEqualTo(name);
        assertThat(rules.sourceName()).isEqualTo("rules/" + name + ".rules.yaml");
        assertThat(rules.clockSkew()).isEqualTo(Duration.ofMinutes(5));
        assertThat(rules.rules()).hasSizeGreaterThanOrEqualTo(8);
        assertThat(rules.rules()).extracting(Rule::action).contains(Action.DLQ, Action.TAG);
        assertThat(rules.rules())
                .extracting(Rule::name)
                .contains("timestamp_not_in_future", "timestamp_plausible");
        assertThat(rules.rules()).allSatisfy(r -> assertThat(r.doc()).isNotBlank());
        // Compiles for evaluation too, not only for checking.
        assertThat(rules.newEvaluator().rules()).isEqualTo(rules.rules());
    }

    @Test
    void goodRecordsOfEveryTypePassEveryRule() {
        for (Map.Entry<String, List<? extends SpecificRecord>> e :
                QualityFixtures.goodRecords().entrySet()) {
            RuleEvaluator evaluator = evaluator(e.getKey());
            for (SpecificRecord record : e.getValue()) {
                evaluator.evaluate(record, NOW);
                assertThat(failed(evaluator)).as("%s %s", e.getKey(), record).isEmpty();
            }
        }
    }

    @Test
    void powerCappedTransientsOfTheRealTraceAreTaggedNotRefused() {
        // The real H100 trace peaks at 719.08 W under its 700 W cap.
        GpuSample transientPeak =
                GpuSample.newBuilder(QualityFixtures.h100(3)).setPowerDrawW(719.08).build();

        assertThat(failedRules("GpuSample", transientPeak))
                .containsExactly("power_draw_within_limit");
        assertThat(dlqRules("GpuSample", transientPeak)).isEmpty();
    }

    @Test
    void telemetryRulesEnforcePhysicalLimits() {
        GpuSample good = QualityFixtures.h100(0);

        assertThat(failedRules("GpuSample", with(good).setUtilizationPct(130.5).build()))
                .containsExactly("utilization_is_percentage");
        assertThat(failedRules("GpuSample", with(good).setUtilizationPct(-1.0).build()))
                .containsExactly("utilization_is_percentage", "idle_at_full_power");
        assertThat(failedRules("GpuSample", with(good).setMemoryUsedMib(90_000).build()))
                .containsExactly("memory_used_within_total");
        assertThat(failedRules("GpuSample", with(good).setTemperatureC(150.0).build()))
                .containsExactly("temperature_in_device_range", "temperature_below_slowdown");
        assertThat(failedRules("GpuSample", with(good).setTemperatureC(95.0).build()))
                .containsExactly("temperature_below_slowdown");
        assertThat(failedRules("GpuSample", with(good).setMemoryTemperatureC(-40.0).build()))
                .containsExactly("memory_temperature_in_device_range");
        assertThat(failedRules("GpuSample", with(good).setPowerDrawW(1200.0).build()))
                .containsExactly("power_draw_in_device_range", "power_draw_within_limit");
        assertThat(
                        failedRules(
                                "GpuSample",
                                with(good).setPowerLimitW(null).setPowerDrawW(1600.0).build()))
                .containsExactly("power_draw_in_device_range");
        assertThat(failedRules("GpuSample", with(good).setPowerDrawW(-3.0).build()))
                .containsExactly("power_draw_in_device_range");
        assertThat(failedRules("GpuSample", with(good).setSmClockMhz(-1).build()))
                .containsExactly("clocks_non_negative");
        assertThat(failedRules("GpuSample", with(good).setGpuUuid("0000:3b:00.0").build()))
                .containsExactly("gpu_uuid_format");
        assertThat(failedRules("GpuSample", with(good).setNode("").build()))
                .containsExactly("device_identity_present");
        assertThat(failedRules("GpuSample", with(good).setEventId("").build()))
                .containsExactly("event_id_present");
        assertThat(failedRules("GpuSample", with(good).setPstate("P99").build()))
                .containsExactly("pstate_format");
        assertThat(failedRules("GpuSample", with(good).setMigProfile("big").build()))
                .containsExactly("mig_profile_format");
        assertThat(failedRules("GpuSample", with(good).setTimestamp(NOW.plusSeconds(600)).build()))
                .containsExactly("timestamp_not_in_future");
        assertThat(failedRules("GpuSample", with(good).setTimestamp(NOW.plusSeconds(240)).build()))
                .isEmpty();
        assertThat(
                        failedRules(
                                "GpuSample",
                                with(good)
                                        .setTimestamp(java.time.Instant.ofEpochSecond(1_700_000))
                                        .build()))
                .containsExactly("timestamp_plausible");
        assertThat(
                        failedRules(
                                "GpuSample",
                                with(good).setUtilizationPct(0.0).setPowerDrawW(690.0).build()))
                .containsExactly("idle_at_full_power");
    }

    @Test
    void workloadRulesCheckRangesAndTheDeadline() {
        WorkloadRequest good = QualityFixtures.trainingRequest();

        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(good).setGpus(0).build()))
                .containsExactly("gpus_in_range");
        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(good).setGpus(4096).build()))
                .containsExactly("gpus_in_range");
        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(good).setPriority(10).build()))
                .containsExactly("priority_in_range");
        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(good).setMemoryPerGpuMib(0).build()))
                .containsExactly("memory_per_gpu_in_range");
        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(good)
                                        .setDeadline(good.getTimestamp().minusSeconds(1))
                                        .build()))
                .containsExactly("deadline_after_submission");
        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(good)
                                        .setAcceleratorType("H800")
                                        .build()))
                .containsExactly("accelerator_type_known");
        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(QualityFixtures.inferenceRequest())
                                        .setDeadline(NOW.plusSeconds(3600))
                                        .build()))
                .containsExactly("inference_without_deadline");
        assertThat(
                        failedRules(
                                "WorkloadRequest",
                                WorkloadRequest.newBuilder(good)
                                        .setLifecycle(RequestLifecycle.CANCELLED)
                                        .setDeadline(good.getTimestamp().minusSeconds(1))
                                        .build()))
                .as("only submissions are checked against their deadline")
                .isEmpty();
    }

    @Test
    void auditRulesTagDoubtfulEvidenceAndRefuseOnlyUnusableRecords() {
        AuditEvent good = QualityFixtures.modelInvoke();

        assertThat(
                        failedRules(
                                "AuditEvent",
                                AuditEvent.newBuilder(good).setPrincipal("  ").build()))
                .containsExactly("principal_present");
        assertThat(dlqRules("AuditEvent", AuditEvent.newBuilder(good).setPrincipal("").build()))
                .containsExactly("principal_present");
        assertThat(
                        failedRules(
                                "AuditEvent",
                                AuditEvent.newBuilder(good).setSourceAddress("999.1.1.1").build()))
                .containsExactly("source_address_is_ip");
        assertThat(
                        failedRules(
                                "AuditEvent",
                                AuditEvent.newBuilder(good).setSourceAddress("localhost").build()))
                .containsExactly("source_address_is_ip");
        assertThat(
                        failedRules(
                                "AuditEvent",
                                AuditEvent.newBuilder(good)
                                        .setAction(AuditAction.DATA_EXPORT)
                                        .setResource("dataset/customers")
                                        .setModelVersion(null)
                                        .setDataClassification(DataClassification.PII)
                                        .build()))
                .containsExactly("pii_export_flagged");
        assertThat(
                        failedRules(
                                "AuditEvent",
                                AuditEvent.newBuilder(good).setEncryptedInTransit(false).build()))
                .containsExactly("sensitive_data_encrypted_in_transit");
        assertThat(
                        failedRules(
                                "AuditEvent",
                                AuditEvent.newBuilder(good).setAuthMethod("telnet").build()))
                .containsExactly("auth_method_known");
        assertThat(
                        failedRules(
                                "AuditEvent",
                                AuditEvent.newBuilder(good).setModelVersion(null).build()))
                .containsExactly("model_action_has_version");
    }

    @Test
    void enterpriseRulesCheckSystemsTextAndAttributes() {
        EnterpriseEvent good = QualityFixtures.crmEvent();

        assertThat(
                        failedRules(
                                "EnterpriseEvent",
                                EnterpriseEvent.newBuilder(good).setSourceSystem("sap").build()))
                .containsExactly("source_system_known");
        assertThat(
                        failedRules(
                                "EnterpriseEvent",
                                EnterpriseEvent.newBuilder(good)
                                        .setText("x".repeat(70_000))
                                        .build()))
                .containsExactly("text_length_bounded");
        assertThat(
                        failedRules(
                                "EnterpriseEvent",
                                EnterpriseEvent.newBuilder(good).setText(" \t ").build()))
                .containsExactly("text_not_blank");
        assertThat(
                        failedRules(
                                "EnterpriseEvent",
                                EnterpriseEvent.newBuilder(good)
                                        .setAttributes(Map.of("Account ID", "1"))
                                        .build()))
                .containsExactly("attribute_keys_format");
        assertThat(
                        failedRules(
                                "EnterpriseEvent",
                                EnterpriseEvent.newBuilder(good)
                                        .setEventType("Order Placed")
                                        .build()))
                .containsExactly("event_type_format");
        assertThat(
                        failedRules(
                                "EnterpriseEvent",
                                EnterpriseEvent.newBuilder(good).setEntityId("").build()))
                .containsExactly("ids_present");
    }

    private static GpuSample.Builder with(GpuSample sample) {
        return GpuSample.newBuilder(sample);
    }

    private static final Map<String, RuleEvaluator> EVALUATORS = new HashMap<>();

    /** One compiled rule set per type for the whole class: compiling is the slow part. */
    private static RuleEvaluator evaluator(String type) {
        return EVALUATORS.computeIfAbsent(type, t -> RuleSet.load(t).newEvaluator());
    }

    private static List<String> failedRules(String type, SpecificRecord record) {
        RuleEvaluator evaluator = evaluator(type);
        evaluator.evaluate(record, NOW);
        return failed(evaluator);
    }

    private static List<String> dlqRules(String type, SpecificRecord record) {
        RuleEvaluator evaluator = evaluator(type);
        evaluator.evaluate(record, NOW);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < evaluator.rules().size(); i++) {
            if (!evaluator.passed(i) && evaluator.rules().get(i).action() == Action.DLQ) {
                names.add(evaluator.rules().get(i).name());
            }
        }
        return names;
    }

    private static List<String> failed(RuleEvaluator evaluator) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < evaluator.rules().size(); i++) {
            if (!evaluator.passed(i)) {
                names.add(
                        evaluator.rules().get(i).name()
                                + (evaluator.error(i) == null
                                        ? ""
                                        : " ERROR " + evaluator.error(i)));
            }
        }
        return names;
    }
}
