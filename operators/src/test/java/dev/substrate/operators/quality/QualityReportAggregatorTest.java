package dev.substrate.operators.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.operators.quality.QualityOutcome.Result;
import java.time.Duration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/** The incremental counting of the quality report, without a cluster. */
class QualityReportAggregatorTest {

    private final QualityReportAggregator aggregator = new QualityReportAggregator();

    @Test
    void countsEachResultAndFailuresOfEveryKind() {
        QualityCounts counts = aggregator.createAccumulator();
        for (Result r :
                new Result[] {
                    Result.PASSED, Result.PASSED, Result.FAILED, Result.TAGGED, Result.DEAD_LETTERED
                }) {
            counts = aggregator.add(outcome(r, 1), counts);
        }
        counts = aggregator.add(outcome(Result.PASSED, 5), counts);

        QualityCounts result = aggregator.getResult(counts);
        assertThat(result.getSource()).isEqualTo("substrate.gpu-samples");
        assertThat(result.getRule()).isEqualTo("hot");
        assertThat(result.getSeverity()).isEqualTo(Severity.WARNING);
        assertThat(result.getAction()).isEqualTo(Action.TAG);
        assertThat(result.getPassed()).isEqualTo(7);
        assertThat(result.getFailed()).isEqualTo(3);
        assertThat(result.getTagged()).isEqualTo(1);
        assertThat(result.getDeadLettered()).isEqualTo(1);
    }

    @Test
    void mergesAccumulators() {
        QualityCounts a = aggregator.add(outcome(Result.TAGGED, 2), aggregator.createAccumulator());
        QualityCounts b = aggregator.add(outcome(Result.PASSED, 3), aggregator.createAccumulator());

        QualityCounts merged =
                aggregator.merge(aggregator.createAccumulator(), aggregator.merge(a, b));

        assertThat(merged.getRule()).isEqualTo("hot");
        assertThat(merged.getPassed()).isEqualTo(3);
        assertThat(merged.getFailed()).isEqualTo(2);
        assertThat(merged.getTagged()).isEqualTo(2);
    }

    @Test
    void refusesAnEmptyWindow() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        assertThatThrownBy(
                        () ->
                                QualityReportAggregator.report(
                                        env.fromData(outcome(Result.PASSED, 1)), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("report window must be positive");
    }

    private static QualityOutcome outcome(Result result, long count) {
        return new QualityOutcome(
                "substrate.gpu-samples", "hot", Severity.WARNING, Action.TAG, result, count, 0L);
    }
}
