package dev.substrate.collector;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code 250ms}, {@code 1s}, {@code 5 min}, {@code 2h} or ISO-8601 ({@code PT2M}). */
final class DurationOption implements ITypeConverter<Duration> {

    private static final Pattern AMOUNT =
            Pattern.compile("(\\d+)\\s*(ms|millis|s|sec|secs|m|min|mins|h|hour|hours)?");

    @Override
    public Duration convert(String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        if (text.startsWith("p")) {
            return Duration.parse(text.toUpperCase(Locale.ROOT));
        }
        Matcher m = AMOUNT.matcher(text);
        if (!m.matches()) {
            throw new TypeConversionException(
                    "'" + value + "' is not a duration such as 250ms, 1s, 5min or 2h");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "ms", "millis" -> Duration.ofMillis(amount);
            case "s", "sec", "secs" -> Duration.ofSeconds(amount);
            case "m", "min", "mins" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }
}
