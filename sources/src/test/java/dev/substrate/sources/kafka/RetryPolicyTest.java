package dev.substrate.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void defaultsDoubleFrom200msUpTo2sAndGiveUpAfter10s() {
        RetryPolicy policy = RetryPolicy.defaults();

        assertThat(policy.delayAfter(1)).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.delayAfter(2)).isEqualTo(Duration.ofMillis(400));
        assertThat(policy.delayAfter(3)).isEqualTo(Duration.ofMillis(800));
        assertThat(policy.delayAfter(4)).isEqualTo(Duration.ofMillis(1_600));
        assertThat(policy.delayAfter(5)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delayAfter(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.maxAttempts()).isEqualTo(RetryPolicy.UNLIMITED);
        assertThat(policy.giveUpAfter()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.mayRetry(1_000_000, 9_999)).isTrue();
        assertThat(policy.mayRetry(2, 10_000)).isFalse();
    }

    @Test
    void theLastWaitEndsWhenTheTimeToGiveUpComes() {
        RetryPolicy policy = RetryPolicy.giveUpAfter(Duration.ofSeconds(3));

        assertThat(policy.delayAfter(5, 0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delayAfter(5, 2_500)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aShortBoundShortensTheDelays() {
        RetryPolicy policy = RetryPolicy.giveUpAfter(Duration.ofMillis(150));

        assertThat(policy.initialDelay()).isEqualTo(Duration.ofMillis(150));
        assertThat(policy.maxDelay()).isEqualTo(Duration.ofMillis(150));
    }

    @Test
    void maxAttemptsCountsTheFirstAttempt() {
        RetryPolicy policy = RetryPolicy.defaults().withMaxAttempts(3);

        assertThat(policy.mayRetry(1, 0)).isTrue();
        assertThat(policy.mayRetry(2, 0)).isTrue();
        assertThat(policy.mayRetry(3, 0)).isFalse();
    }

    @Test
    void rejectsNonsense() {
        Duration second = Duration.ofSeconds(1);
        assertThatThrownBy(() -> RetryPolicy.of(Duration.ZERO, second, 0, second))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.of(Duration.ofSeconds(2), second, 0, second))
                .hasMessageContaining("max delay");
        assertThatThrownBy(() -> RetryPolicy.of(second, second, 0, Duration.ZERO))
                .hasMessageContaining("give up");
        assertThatThrownBy(() -> RetryPolicy.defaults().withMaxAttempts(-1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.defaults().delayAfter(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isAValueObject() {
        assertThat(
                        RetryPolicy.of(
                                Duration.ofMillis(200),
                                Duration.ofSeconds(2),
                                0,
                                Duration.ofSeconds(10)))
                .isEqualTo(RetryPolicy.defaults())
                .hasSameHashCodeAs(RetryPolicy.defaults())
                .hasToString(
                        "RetryPolicy{initialDelay=200ms, maxDelay=2000ms, maxAttempts=unlimited,"
                                + " giveUpAfter=10000ms}");
    }
}
