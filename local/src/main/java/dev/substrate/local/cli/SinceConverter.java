package dev.substrate.local.cli;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a point in time: an instant ({@code 2026-11-27T10:00:00Z}), a UTC day ({@code 2026-11-27}),
 * or a duration ago ({@code 2h}, {@code 90 min}, {@code PT30M}).
 */
final class SinceConverter implements ITypeConverter<Instant> {

    private final Clock clock;

    SinceConverter() {
        this(Clock.systemUTC());
    }

    SinceConverter(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Instant convert(String value) {
        String text = value.trim();
        try {
            if (text.length() > 10 && Character.isDigit(text.charAt(0)) && text.contains("T")) {
                return Instant.parse(text);
            }
            if (text.length() == 10 && text.charAt(4) == '-') {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return clock.instant().minus(new DurationConverter().convert(text));
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw new TypeConversionException(
                    "'"
                            + value
                            + "' is not a time: give an instant (2026-11-27T10:00:00Z), a day"
                            + " (2026-11-27) or a duration ago (2h, 90min, PT30M)");
        }
    }
}
