package dev.substrate.jobs.telemetry;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.substrate.operators.telemetry.windows.TelemetryWindowsConfig;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The options of {@link TelemetryWindowsStage}, typed, documented and defaulted; the stage's {@code
 * Settings.from} turns a configuration into its settings. Event time is the job's ({@link
 * dev.substrate.jobs.config.EventTimeOptions}).
 */
public final class TelemetryWindowsOptions {

    public static final ConfigOption<Duration> ALLOWED_LATENESS =
            key("telemetry.windows.allowed-lateness")
                    .durationType()
                    .defaultValue(Duration.ZERO)
                    .withDescription(
                            "How long after a 1-minute window closed a late reading still updates"
                                    + " its GPU row (appended again, updated); later readings go"
                                    + " to the late output. Rollups and 5-minute rows count on-time"
                                    + " readings only.");

    public static final ConfigOption<Duration> MAX_GAP =
            key("telemetry.windows.max-gap")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(60))
                    .withDescription(
                            "Intervals between two readings of a GPU longer than this are gaps and"
                                    + " are not integrated into energy or clock-event time.");

    public static final ConfigOption<Boolean> QUANTILES =
            key("telemetry.windows.quantiles")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Compute p50/p95/p99 with DDSketch (1% relative accuracy); false leaves"
                                    + " the quantile columns null.");

    public static final ConfigOption<Duration> QUIET_CLOSE =
            key("telemetry.windows.quiet-close")
                    .durationType()
                    .defaultValue(TelemetryWindowsConfig.DEFAULT_QUIET_CLOSE)
                    .withDescription(
                            "When event time has stood still and no reading arrived for this long"
                                    + " (processing time), as when a capture or the whole fleet"
                                    + " stops, the open windows close without waiting for the"
                                    + " watermark: their rows say closed_by QUIET_TIME, so the last"
                                    + " minute is reported. Rollups and 5-minute windows follow,"
                                    + " all closed within twice this. Readings for a window closed"
                                    + " this way that arrive later are counted in"
                                    + " readingsTooLateForWindows (with allowed lateness they"
                                    + " update the GPU row). 0 closes by the watermark only.");

    public static final ConfigOption<String> TOPIC =
            key("telemetry.windows.topic")
                    .stringType()
                    .defaultValue("substrate.gpu-metrics")
                    .withDescription(
                            "Kafka topic of the GpuMetrics rows (1- and 5-minute, all levels).");

    private TelemetryWindowsOptions() {}

    /** The window settings from {@code config}. */
    public static TelemetryWindowsConfig windows(ReadableConfig config) {
        return new TelemetryWindowsConfig(
                config.get(ALLOWED_LATENESS),
                config.get(MAX_GAP),
                config.get(QUANTILES),
                config.get(QUIET_CLOSE));
    }
}
