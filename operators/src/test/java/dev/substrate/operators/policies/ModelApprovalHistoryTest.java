package dev.substrate.operators.policies;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ModelApprovalHistoryTest {

    @Test
    void judgesByTheLastChangeUpToTheTime() {
        ModelApprovalHistory history =
                new ModelApprovalHistory().with(300, false).with(100, true).with(500, true);

        assertThat(history.approvedAt(99)).as("before any change").isFalse();
        assertThat(history.approvedAt(100)).isTrue();
        assertThat(history.approvedAt(299)).isTrue();
        assertThat(history.approvedAt(300)).as("revoked").isFalse();
        assertThat(history.approvedAt(499)).isFalse();
        assertThat(history.approvedAt(10_000)).as("approved again").isTrue();
        assertThat(history.with(300, true).approvedAt(350)).as("a change replaced").isTrue();
    }
}
