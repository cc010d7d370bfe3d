package dev.substrate.local.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class SinceConverterTest {

    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private final SinceConverter converter = new SinceConverter(Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void readsInstantsDaysAndDurationsAgo() {
        assertThat(converter.convert("2026-11-27T10:15:00Z"))
                .isEqualTo(Instant.parse("2026-11-27T10:15:00Z"));
        assertThat(converter.convert("2026-11-26"))
                .isEqualTo(Instant.parse("2026-11-26T00:00:00Z"));
        assertThat(converter.convert("2h")).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
        assertThat(converter.convert("90 min")).isEqualTo(Instant.parse("2026-11-27T10:30:00Z"));
        assertThat(converter.convert("PT30M")).isEqualTo(Instant.parse("2026-11-27T11:30:00Z"));
    }

    @Test
    void saysWhatItExpects() {
        assertThatThrownBy(() -> converter.convert("yesterday"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("'yesterday' is not a time")
                .hasMessageContaining("2026-11-27T10:00:00Z");
    }
}
