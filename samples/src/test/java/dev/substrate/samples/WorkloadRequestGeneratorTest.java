package dev.substrate.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkloadRequestGeneratorTest {

    private static final Instant START = Instant.parse("2026-11-26T00:00:00Z");

    private static List<WorkloadRequest> take(long seed, int count) {
        WorkloadRequestGenerator generator =
                new WorkloadRequestGenerator(seed, START, Duration.ofSeconds(2));
        List<WorkloadRequest> requests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            requests.add(generator.next());
        }
        return requests;
    }

    @Test
    void sameSeedGivesTheSameRequests() {
        assertThat(take(3, 2000)).isEqualTo(take(3, 2000)).isNotEqualTo(take(4, 2000));
    }

    @Test
    void everyEndFollowsItsSubmissionAndRepeatsItsFields() {
        List<WorkloadRequest> requests = take(11, 20_000);
        Map<String, WorkloadRequest> submitted = new HashMap<>();
        Set<String> started = new HashSet<>();
        Set<String> ended = new HashSet<>();
        Map<String, List<WorkloadRequest>> gangs = new HashMap<>();
        Set<String> eventIds = new HashSet<>();
        Map<RequestLifecycle, Integer> byLifecycle = new EnumMap<>(RequestLifecycle.class);
        Instant previous = Instant.MIN;
        for (WorkloadRequest r : requests) {
            assertThat(eventIds.add(r.getEventId())).isTrue();
            assertThat(r.getTimestamp()).isAfterOrEqualTo(previous);
            previous = r.getTimestamp();
            byLifecycle.merge(r.getLifecycle(), 1, Integer::sum);
            if (r.getLifecycle() == RequestLifecycle.SUBMITTED) {
                assertThat(submitted.put(r.getRequestId(), r)).isNull();
                checkRanges(r);
                if (r.getGangId() != null) {
                    gangs.computeIfAbsent(r.getGangId(), g -> new ArrayList<>()).add(r);
                }
            } else {
                WorkloadRequest submission = submitted.get(r.getRequestId());
                assertThat(submission).as("submission of %s", r.getRequestId()).isNotNull();
                assertThat(ended).doesNotContain(r.getRequestId());
                if (r.getLifecycle() == RequestLifecycle.STARTED) {
                    assertThat(started.add(r.getRequestId())).isTrue();
                } else {
                    ended.add(r.getRequestId());
                }
                assertThat(r.getTimestamp()).isAfter(submission.getTimestamp());
                assertThat(
                                WorkloadRequest.newBuilder(r)
                                        .setEventId(submission.getEventId())
                                        .setTimestamp(submission.getTimestamp())
                                        .setLifecycle(RequestLifecycle.SUBMITTED)
                                        .build())
                        .isEqualTo(submission);
                if (r.getLifecycle() == RequestLifecycle.RELEASED) {
                    assertThat(r.getKind()).isEqualTo(dev.substrate.events.WorkloadKind.INFERENCE);
                }
            }
        }
        // A submission, most often a start, and an end per request.
        assertThat(byLifecycle.get(RequestLifecycle.SUBMITTED)).isGreaterThan(6_000);
        assertThat(byLifecycle.get(RequestLifecycle.COMPLETED)).isGreaterThan(500);
        assertThat(byLifecycle.get(RequestLifecycle.RELEASED)).isGreaterThan(500);
        assertThat(byLifecycle.get(RequestLifecycle.CANCELLED)).isGreaterThan(50);
        // Most start; some never do, and their reservations expire.
        assertThat(byLifecycle.get(RequestLifecycle.STARTED))
                .isGreaterThan(byLifecycle.get(RequestLifecycle.SUBMITTED) * 8 / 10)
                .isLessThan(byLifecycle.get(RequestLifecycle.SUBMITTED));
        // Gangs: 8-GPU training workers, as many as the gang size says, submitted together.
        assertThat(gangs).hasSizeGreaterThan(50);
        gangs.forEach(
                (gang, members) -> {
                    assertThat(members).hasSize(members.get(0).getGangSize()).hasSizeBetween(2, 8);
                    assertThat(members)
                            .allSatisfy(
                                    m -> {
                                        assertThat(m.getGpus()).isEqualTo(8);
                                        assertThat(m.getKind())
                                                .isEqualTo(
                                                        dev.substrate.events.WorkloadKind.TRAINING);
                                    });
                });
        // Inference carries a token rate, nothing else does.
        assertThat(submitted.values())
                .allSatisfy(
                        r ->
                                assertThat(r.getTokensPerMinute() != null)
                                        .isEqualTo(
                                                r.getKind()
                                                        == dev.substrate.events.WorkloadKind
                                                                .INFERENCE));
    }

    @Test
    void openRequestsStayBoundedAtHighRates() {
        WorkloadRequestGenerator generator =
                new WorkloadRequestGenerator(5, START, Duration.ofMillis(1));
        for (int i = 0; i < 30_000; i++) {
            generator.next();
        }
        assertThat(generator.openRequests())
                .isLessThanOrEqualTo(WorkloadRequestGenerator.MAX_OPEN_REQUESTS);
        assertThat(generator.submitted()).isLessThan(30_000);
    }

    private static void checkRanges(WorkloadRequest r) {
        AcceleratorModel accelerator = AcceleratorModel.find(r.getAcceleratorType()).orElseThrow();
        assertThat(r.getGpus()).isBetween(1, 64);
        assertThat(r.getMemoryPerGpuMib()).isBetween(1024L, accelerator.memoryMib());
        assertThat(r.getPriority()).isBetween(0, 9);
        assertThat(SampleVocabulary.TENANTS).contains(r.getTenant());
        assertThat(SampleVocabulary.MODELS.stream().map(SampleVocabulary.ModelSpec::name))
                .contains(r.getModelName());
        assertThat(r.getRequestId()).matches("req-[0-9a-f]{6}-\\d{7}");
        if (r.getPreferredRegion() != null) {
            assertThat(SampleVocabulary.REGIONS).contains(r.getPreferredRegion());
        }
        if (r.getDeadline() != null) {
            assertThat(r.getDeadline()).isAfter(r.getTimestamp());
        }
    }
}
