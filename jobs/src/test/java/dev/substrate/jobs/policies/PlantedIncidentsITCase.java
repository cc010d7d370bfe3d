package dev.substrate.jobs.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.PolicyViolation;
import dev.substrate.operators.policies.ModelApproval;
import dev.substrate.operators.policies.ModelApprovalFunction;
import dev.substrate.operators.policies.PolicyDetector;
import dev.substrate.operators.policies.PolicyFile;
import dev.substrate.samples.AuditEventGenerator;
import dev.substrate.samples.SampleVocabulary;
import dev.substrate.samples.SyntheticFleet;
import dev.substrate.testkit.MiniClusters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The policy stage over a large benign stream from the sample generators (audit events and fleet
 * telemetry) with incidents planted at known rates, arriving out of order within the watermark
 * bound: exactly the planted incidents are reported, each once (a repeat on the same key within the
 * cool-down is counted on its violation, as suppressed_count, and nowhere else). The model registry
 * is a stream read alongside, as on a fresh start: the unapproved-model policy must wait for it
 * rather than judge invocations by a registry still loading.
 *
 * <p>Quota abuse and work on a lost GPU come from the scheduler's decisions, which no generator
 * plants deterministically; PolicyDetectorITCase covers them at the CEP operator.
 */
class PlantedIncidentsITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final Instant START = Instant.parse("2026-11-02T23:00:00Z");
    private static final Duration BOUND = Duration.ofSeconds(5);

    @Test
    void exactlyThePlantedIncidentsAreReportedEachOnce() throws Exception {
        AuditEventGenerator generator = new AuditEventGenerator(13, START, Duration.ofMillis(500));
        List<AuditEvent> audits = new ArrayList<>();
        for (int i = 0; i < 12_000; i++) {
            audits.add(generator.next());
        }
        List<AuditEvent> arriving = outOfOrder(audits, AuditEvent::getTimestamp, 7);
        // Telemetry of a fleet of 16 devices over the same hour and a half, read every 10 s.
        SyntheticFleet fleet =
                new SyntheticFleet(
                        new SyntheticFleet.Config(1, 1, 2, 8, 13, Duration.ofSeconds(10), START));
        List<GpuSample> readings = new ArrayList<>();
        Instant end = audits.get(audits.size() - 1).getTimestamp();
        for (GpuSample s = fleet.next(); s.getTimestamp().isBefore(end); s = fleet.next()) {
            readings.add(s);
        }

        Map<String, Integer> planted = new TreeMap<>();
        for (AuditEventGenerator.PlantedIncident incident : generator.planted()) {
            planted.merge(incident.policyId() + "/" + incident.principal(), 1, Integer::sum);
        }
        assertThat(generator.planted().stream().map(AuditEventGenerator.PlantedIncident::policyId))
                .as("every audit policy has incidents planted")
                .contains(
                        "credential-stuffing",
                        "data-exfiltration",
                        "unencrypted-sensitive-transfer",
                        "unapproved-model",
                        "privilege-escalation",
                        "denial-of-wallet",
                        "data-residency",
                        "after-hours-bulk-export");
        for (SyntheticFleet.PlantedIncident incident : fleet.planted()) {
            planted.merge(incident.policyId() + "/" + incident.key(), 1, Integer::sum);
        }
        assertThat(fleet.planted())
                .as("thermal runaways are planted in the telemetry")
                .isNotEmpty();

        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        DataStream<AuditEvent> auditStream =
                env.fromData(arriving, new AvroTypeInfo<>(AuditEvent.class))
                        .assignTimestampsAndWatermarks(
                                WatermarkStrategy.<AuditEvent>forBoundedOutOfOrderness(BOUND)
                                        .withTimestampAssigner(
                                                (e, previous) -> e.getTimestamp().toEpochMilli()));
        DataStream<GpuSample> samples =
                env.fromData(
                                outOfOrder(readings, GpuSample::getTimestamp, 11),
                                new AvroTypeInfo<>(GpuSample.class))
                        .assignTimestampsAndWatermarks(
                                WatermarkStrategy.<GpuSample>forBoundedOutOfOrderness(BOUND)
                                        .withTimestampAssigner(
                                                (e, previous) -> e.getTimestamp().toEpochMilli()));
        List<ModelApproval> approvals = new ArrayList<>();
        for (SampleVocabulary.ModelSpec model : SampleVocabulary.MODELS) {
            for (String version : model.versions()) {
                approvals.add(
                        new ModelApproval(
                                model.name(),
                                version,
                                true,
                                START.minusSeconds(3600).toEpochMilli()));
            }
        }
        DataStream<ModelApproval> registry =
                env.fromData(approvals, TypeInformation.of(ModelApproval.class))
                        .assignTimestampsAndWatermarks(ModelApprovalFunction.registryWatermarks());

        PolicyStage.Settings settings =
                new PolicyStage.Settings(
                        PolicyFile.load(PolicyFile.DEFAULT),
                        PolicyDetector.TokenBaseline.defaults(),
                        null,
                        null,
                        null);
        DataStream<PolicyViolation> violations =
                new PolicyStage(settings)
                        .addTo(new PolicyStage.Inputs(auditStream, samples, null, registry))
                        .violations();

        Map<String, Integer> reported = new TreeMap<>();
        List<String> ids = new ArrayList<>();
        try (CloseableIterator<PolicyViolation> it = violations.executeAndCollect("planted")) {
            it.forEachRemaining(
                    v -> {
                        String key = v.getPolicyId() + "/" + v.getKey();
                        if (v.getRevision() == 1) {
                            reported.merge(key, 1, Integer::sum);
                            ids.add(v.getViolationId());
                        } else {
                            // The closing revision: its repeats were incidents too.
                            reported.merge(key, v.getSuppressedCount(), Integer::sum);
                        }
                    });
        }

        assertThat(ids).as("one violation per incident").doesNotHaveDuplicates();
        assertThat(reported).isEqualTo(planted);
    }

    /** {@code events} in the order they arrive: each up to 3 s late, within the bound. */
    private static <T> List<T> outOfOrder(List<T> events, Function<T, Instant> time, long seed) {
        Random jitter = new Random(seed);
        List<long[]> order = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            order.add(
                    new long[] {
                        time.apply(events.get(i)).toEpochMilli() + jitter.nextInt(3_000), i
                    });
        }
        order.sort(Comparator.comparingLong(o -> o[0]));
        List<T> arriving = new ArrayList<>();
        order.forEach(o -> arriving.add(events.get((int) o[1])));
        return arriving;
    }
}
