package dev.substrate.local.cli;

import java.time.Duration;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine.ITypeConverter;

/**
 * Reads durations as Flink does ({@code 90s}, {@code 5 min}, {@code 2h}) or ISO-8601 ({@code
 * PT2M}).
 */
final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return value.startsWith("P") || value.startsWith("p")
                ? Duration.parse(value)
                : TimeUtils.parseDuration(value);
    }
}
