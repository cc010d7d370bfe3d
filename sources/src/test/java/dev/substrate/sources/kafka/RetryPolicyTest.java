package dev.substrate.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void defaultsDoubleFrom200msUpTo30sAndNeverGiveUp() {
        RetryPolicy policy = RetryPolicy.defaults();

        assertThat(policy.delayAfter(1)).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.delayAfter(2)).isEqualTo(Duration.ofMillis(400));
        assertThat(policy.delayAfter(3)).isEqualTo(Duration.ofMillis(800));
        assertThat(policy.delayAfter(8)).isEqualTo(Duration.ofMillis(25_600));
        assertThat(policy.delayAfter(9)).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.delayAfter(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.maxAttempts()).isEqualTo(RetryPolicy.UNLIMITED);
        assertThat(policy.mayRetryAfter(1_000_000)).isTrue();
    }

    @Test
    void maxAttemptsCountsTheFirstAttempt() {
        RetryPolicy policy = RetryPolicy.defaults().withMaxAttempts(3);

        assertThat(policy.mayRetryAfter(1)).isTrue();
        assertThat(policy.mayRetryAfter(2)).isTrue();
        assertThat(policy.mayRetryAfter(3)).isFalse();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> RetryPolicy.of(Duration.ZERO, Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.of(Duration.ofSeconds(2), Duration.ofSeconds(1), 0))
                .hasMessageContaining("max delay");
        assertThatThrownBy(() -> RetryPolicy.defaults().withMaxAttempts(-1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.defaults().delayAfter(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isAValueObject() {
        assertThat(RetryPolicy.of(Duration.ofMillis(200), Duration.ofSeconds(30), 0))
                .isEqualTo(RetryPolicy.defaults())
                .hasSameHashCodeAs(RetryPolicy.defaults())
                .hasToString(
                        "RetryPolicy{initialDelay=200ms, maxDelay=30000ms, maxAttempts=unlimited}");
    }
}
