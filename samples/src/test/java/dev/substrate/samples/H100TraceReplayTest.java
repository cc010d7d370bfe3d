package dev.substrate.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.GpuSampleIds;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class H100TraceReplayTest {

    private static H100TraceReplay replay;

    @BeforeAll
    static void load() throws IOException {
        replay = H100TraceReplay.load(H100TraceReplay.locateTrace(), "us-west-2", "usw2-h100-real");
    }

    private static List<GpuSample> all(Iterator<GpuSample> samples) {
        List<GpuSample> list = new ArrayList<>();
        samples.forEachRemaining(list::add);
        return list;
    }

    @Test
    void asRecordedIsTheTrace() {
        List<GpuSample> samples = all(replay.replay(H100TraceReplay.Plan.asRecorded()));

        assertThat(samples).isEqualTo(replay.trace()).hasSize(709);
        assertThat(samples.get(0).getNode()).isEqualTo("usw2-h100-real-n001");
        assertThat(replay.traceStart()).isEqualTo(Instant.parse("2026-11-26T21:28:39.826Z"));
        assertThat(replay.traceDuration())
                .isBetween(Duration.ofSeconds(177), Duration.ofSeconds(179));
    }

    @Test
    void replaysShiftedRepeatedOnASmallCluster() {
        Instant start = Instant.parse("2027-01-01T00:00:00Z");
        H100TraceReplay.Plan plan =
                H100TraceReplay.Plan.asRecorded().startingAt(start).repeated(2).onCluster(2, 2);

        List<GpuSample> samples = all(replay.replay(plan));

        assertThat(samples).hasSize(709 * 2 * 4);
        assertThat(replay.size(plan)).isEqualTo(samples.size());
        assertThat(samples.get(0).getTimestamp()).isEqualTo(start);
        assertThat(samples)
                .extracting(GpuSample::getTimestamp)
                .isSortedAccordingTo(Comparator.naturalOrder());
        assertThat(samples.stream().map(GpuSample::getGpuUuid).distinct()).hasSize(4);
        assertThat(samples.stream().map(GpuSample::getNode).distinct())
                .containsExactly("usw2-h100-real-n001", "usw2-h100-real-n002");
        assertThat(samples.stream().map(GpuSample::getGpuIndex).distinct()).containsExactly(0, 1);
        assertThat(samples.stream().map(GpuSample::getEventId).distinct()).hasSize(samples.size());
        assertThat(samples)
                .allSatisfy(
                        s ->
                                assertThat(s.getEventId())
                                        .isEqualTo(
                                                GpuSampleIds.eventId(
                                                        s.getGpuUuid(), s.getTimestamp())));
        // Device 0 plays the trace as recorded, shifted; the second repetition follows the first.
        GpuSample firstOfSecondRepetition = samples.get(709 * 4);
        assertThat(firstOfSecondRepetition.getTimestamp())
                .isEqualTo(start.plus(replay.traceDuration()));
        assertThat(firstOfSecondRepetition.getPowerDrawW())
                .isEqualTo(replay.trace().get(0).getPowerDrawW());
        assertThat(samples.get(0).getGpuUuid()).isEqualTo(replay.trace().get(0).getGpuUuid());
        // The other devices are phase-shifted, so they do not read the same at the same time.
        assertThat(samples.get(1000 * 4).getPowerDrawW())
                .isNotEqualTo(samples.get(1000 * 4 + 2).getPowerDrawW());
        // Real power capping survives the replay.
        assertThat(samples).anyMatch(s -> (s.getClockEventReasons() & 0x4L) != 0);
    }
}
