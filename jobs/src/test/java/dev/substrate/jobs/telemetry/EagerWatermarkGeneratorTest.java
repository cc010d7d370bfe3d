package dev.substrate.jobs.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class EagerWatermarkGeneratorTest {

    private final List<Long> emitted = new ArrayList<>();
    private final WatermarkOutput output =
            new WatermarkOutput() {
                @Override
                public void emitWatermark(Watermark watermark) {
                    emitted.add(watermark.getTimestamp());
                }

                @Override
                public void markIdle() {}

                @Override
                public void markActive() {}
            };

    @Test
    void eventsMoveTheWatermarkInStepsWithoutWaitingForThePeriodicEmit() {
        var generator = new EagerWatermarkGenerator<String>(5_000, 1_000);
        generator.onEvent("a", 10_000, output);
        generator.onEvent("b", 10_500, output);
        generator.onEvent("c", 11_000, output);
        generator.onEvent("late", 3_000, output);
        generator.onEvent("d", 20_000, output);
        assertThat(emitted).containsExactly(4_999L, 5_999L, 14_999L);

        generator.onEvent("e", 20_400, output);
        generator.onPeriodicEmit(output);
        generator.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(4_999L, 5_999L, 14_999L, 15_399L);
    }

    @Test
    void nothingIsEmittedBeforeTheFirstEvent() {
        var generator = new EagerWatermarkGenerator<String>(5_000, 1_000);
        generator.onPeriodicEmit(output);
        assertThat(emitted).isEmpty();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new EagerWatermarkGenerator<String>(-1, 1_000))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EagerWatermarkGenerator<String>(0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
