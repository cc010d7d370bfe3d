package dev.substrate.jobs.local;

import java.nio.file.Path;
import java.time.Duration;
import javax.annotation.Nullable;

/**
 * What a local run does: where its data lives, which services it embeds, how much sample data it
 * produces and when it stops.
 *
 * @param externalKafka bootstrap servers of an existing Kafka, or null to embed a broker
 * @param externalRegistry URL of an existing schema registry, or null to embed one
 * @param duration stop after this long; null with {@code events} null runs until Ctrl-C
 * @param events produce exactly this many good events, process them and stop; null to stream
 * @param eventsPerSecond the producer's rate while streaming
 * @param badFraction the fraction of records sent deliberately broken, of every kind
 */
public record LocalSettings(
        Path dataDir,
        @Nullable String externalKafka,
        @Nullable String externalRegistry,
        int kafkaPort,
        int registryPort,
        int webUiPort,
        int parallelism,
        Duration checkpointInterval,
        @Nullable Duration duration,
        @Nullable Long events,
        int eventsPerSecond,
        double badFraction,
        long seed) {}
