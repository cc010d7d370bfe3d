package dev.substrate.jobs.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;

/**
 * The job's one event-time clock: timestamps and watermarks are assigned once, per Kafka partition,
 * where the ingest reads, and every later stage uses them. The keys of the three clocks there used
 * to be (ingest {@code watermark.*}, telemetry windows {@code telemetry.windows.*}, fleet health
 * {@code telemetry.watermark.*}) still work for one release; {@link SubstrateConfig} warns with the
 * key to use instead.
 */
public final class EventTimeOptions {

    public static final ConfigOption<Duration> OUT_OF_ORDERNESS =
            key("event-time.out-of-orderness")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDeprecatedKeys(
                            "watermark.out-of-orderness",
                            "telemetry.windows.out-of-orderness",
                            "telemetry.watermark.out-of-orderness")
                    .withDescription(
                            "How far behind the newest event time of a Kafka partition a record"
                                    + " may arrive and still be in order: the watermark trails the"
                                    + " newest event time by this much. Every stage's windows,"
                                    + " timers and alerts wait this long for stragglers.");

    public static final ConfigOption<Duration> IDLENESS =
            key("event-time.idleness")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDeprecatedKeys(
                            "watermark.idle-timeout",
                            "telemetry.windows.idleness",
                            "telemetry.watermark.idleness")
                    .withDescription(
                            "A partition without records for this long stops holding the"
                                    + " watermark back (0 disables idleness).");

    public static final ConfigOption<Duration> MAX_FUTURE_SKEW =
            key("event-time.max-future-skew")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDeprecatedKeys("watermark.max-future-skew")
                    .withDescription(
                            "Event times further than this ahead of the wall clock do not move the"
                                    + " watermark (a producer with a wrong clock would otherwise"
                                    + " make every other record late); the quality rules judge"
                                    + " such records.");

    private EventTimeOptions() {}
}
