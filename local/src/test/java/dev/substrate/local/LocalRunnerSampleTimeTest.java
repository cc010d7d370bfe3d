package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Where a local run's sample event time starts, fresh and when resuming. */
class LocalRunnerSampleTimeTest {

    private static final Instant NOW = Instant.parse("2026-11-26T12:00:30.250Z");
    private static final Duration TRACE = Duration.ofMinutes(4);

    @Test
    void aFreshRunStartsSixHoursAgoOnAWholeMinute() {
        assertThat(LocalRunner.sampleStart(NOW, null, TRACE))
                .isEqualTo(Instant.parse("2026-11-26T06:01:00Z"));
    }

    @Test
    void aResumedRunStartsAfterTheLastRunsWindowsAndItsOwnTrace() {
        Instant lastReported = Instant.parse("2026-11-26T11:00:00Z");

        Instant start = LocalRunner.sampleStart(NOW, lastReported, TRACE);

        assertThat(start).isEqualTo(Instant.parse("2026-11-26T11:14:00Z"));
        assertThat(start.minus(TRACE))
                .as("the trace, which goes first, starts clear of the last run's windows")
                .isAfterOrEqualTo(lastReported.plus(LocalRunner.RESUME_GAP));
    }

    @Test
    void aLongAgoLastRunDoesNotPullTheStartBack() {
        Instant lastReported = Instant.parse("2026-11-25T00:00:00Z");

        assertThat(LocalRunner.sampleStart(NOW, lastReported, TRACE))
                .isEqualTo(LocalRunner.sampleStart(NOW, null, TRACE));
    }
}
