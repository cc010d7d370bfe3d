package dev.substrate.operators.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.PolicyViolation;
import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changing a policy with a real savepoint: two policies hold partial matches, the job stops with a
 * savepoint, and restarts with one policy's version raised. The changed policy starts fresh (its
 * partial match is gone, so completing it reports nothing) while the unchanged one keeps its
 * partial match (completing it reports the violation).
 */
class ChangedPolicySavepointITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final Instant T0 = Instant.parse("2026-11-03T12:00:00Z");
    private static final AtomicLong GENERATED = new AtomicLong();

    private static final String POLICIES =
            """
            policies:
              - id: credential-stuffing
                version: %d
                severity: HIGH
                description: Guessing.
                template: credential_stuffing
                key: principal
                thresholds:
                  attempts: 5
                  within: 10m
              - id: privilege-escalation
                version: 1
                severity: CRITICAL
                description: Escalation.
                template: privilege_escalation
                key: principal
                thresholds:
                  within: 15m
                  admin_actions: [POLICY_CHANGE]
            """;

    @Test
    void onlyTheChangedPolicyStartsWithFreshState(@TempDir Path savepoints) throws Exception {
        // Run 1: three denied logins of "guesser", a role change of "climber"; then only fillers
        // that move event time on (they have no key: no policy reads them).
        StreamExecutionEnvironment first = environment(new Configuration());
        DataGeneratorSource<PolicySignal> before =
                new DataGeneratorSource<>(
                        (GeneratorFunction<Long, PolicySignal>)
                                ChangedPolicySavepointITCase::runOne,
                        Long.MAX_VALUE,
                        RateLimiterStrategy.perSecond(200),
                        TypeInformation.of(PolicySignal.class));
        DataStream<PolicySignal> input =
                first.fromSource(
                                before,
                                PolicyDetectorITCase.everyEvent(Duration.ofSeconds(1)),
                                "before")
                        .uid("source-before")
                        .setParallelism(1);
        detector(1).addTo(input).violations().sinkTo(new DiscardingSink<>()).uid("sink-before");
        JobClient job = first.executeAsync("policies before the change");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (GENERATED.get() < 200 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(GENERATED.get()).as("the first run made progress").isGreaterThanOrEqualTo(200);
        String savepoint =
                job.stopWithSavepoint(
                                false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(2, TimeUnit.MINUTES);

        // Run 2, from the savepoint, with credential-stuffing at version 2.
        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        restore.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
        StreamExecutionEnvironment second = environment(restore);
        long later = T0.plus(Duration.ofMinutes(5)).toEpochMilli();
        List<PolicySignal> after = new ArrayList<>();
        after.add(audit("guesser", "LOGIN", "DENIED", later));
        after.add(audit("guesser", "LOGIN", "DENIED", later + 1_000));
        after.add(audit("guesser", "LOGIN", "ALLOWED", later + 2_000));
        after.add(audit("climber", "POLICY_CHANGE", "ALLOWED", later + 3_000));
        DataStream<PolicySignal> more =
                second.fromData(after, TypeInformation.of(PolicySignal.class))
                        .assignTimestampsAndWatermarks(
                                PolicyDetectorITCase.everyEvent(Duration.ofSeconds(1)))
                        .uid("source-after");
        List<String> reported = new ArrayList<>();
        try (CloseableIterator<PolicyViolation> it =
                detector(2).addTo(more).violations().executeAndCollect("policies after")) {
            it.forEachRemaining(v -> reported.add(v.getPolicyId() + "/" + v.getKey()));
        }

        assertThat(reported)
                .as("the unchanged policy kept its partial match; the changed one started fresh")
                .containsExactly("privilege-escalation/climber");
    }

    private static PolicyDetector detector(int stuffingVersion) {
        return PolicyDetector.builder()
                .policies(PolicyFile.parse(String.format(POLICIES, stuffingVersion), "it.yaml"))
                .build();
    }

    private static StreamExecutionEnvironment environment(Configuration config) {
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        return env;
    }

    private static PolicySignal runOne(Long index) {
        GENERATED.incrementAndGet();
        long t = T0.toEpochMilli() + index * 1_000;
        if (index < 3) {
            return audit("guesser", "LOGIN", "DENIED", t);
        }
        if (index == 3) {
            return audit("climber", "ROLE_CHANGE", "ALLOWED", t);
        }
        PolicySignal filler = new PolicySignal();
        filler.source = PolicySignal.Source.GPU;
        filler.eventId = "filler-" + index;
        // Event time stays within the policies' windows: fillers add 1 ms each.
        filler.timestamp = T0.toEpochMilli() + 4_000 + index;
        return filler;
    }

    private static PolicySignal audit(String principal, String action, String outcome, long at) {
        return PolicyScenarios.audit(
                principal + "-" + action + "-" + at, principal, action, outcome, at);
    }
}
