package dev.substrate.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;

/**
 * What a local run does: where its data lives, which services it embeds, how much sample data it
 * produces and when it stops. Built with {@link #builder()}, which refuses settings that make no
 * sense with a message naming the option.
 *
 * <pre>{@code
 * LocalSettings settings = LocalSettings.builder().dataDir(Path.of(".substrate")).events(10_000L).build();
 * }</pre>
 *
 * @param externalKafka bootstrap servers of an existing Kafka, or null to embed a broker
 * @param externalRegistry URL of an existing schema registry, or null to embed one
 * @param duration stop after this long; null with {@code events} null runs until Ctrl-C
 * @param events produce exactly this many good events, process them and stop; null to stream
 * @param eventsPerSecond the producer's rate while streaming
 * @param badFraction the fraction of records sent deliberately broken, of every kind
 * @param samples whether to produce sample events (and register their schemas) at all
 * @param catchUp without samples: stop once every record the input topics held at the start is
 *     accounted for
 * @param resumeFrom a snapshot the user chose to resume from instead of the newest, or null
 * @param telemetry where GPU readings come from: the synthetic fleet, or real ones a collector
 *     publishes
 * @param searchPort the port of {@code /api/search} on 127.0.0.1 (0 for any free port)
 * @param dashboardPort the live dashboard's port on 127.0.0.1; 0 picks a free one, -1 serves none
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
        long seed,
        boolean samples,
        boolean catchUp,
        @Nullable String resumeFrom,
        LocalTelemetry telemetry,
        int searchPort,
        int dashboardPort) {

    public static Builder builder() {
        return new Builder();
    }

    /** Whether the run stops by itself once what it set out to process is in the lake. */
    public boolean bounded() {
        return events != null || catchUp;
    }

    /** Settings of a local run; every option has the default of {@code substrate local}. */
    public static final class Builder {
        private Path dataDir = Path.of(".substrate");
        private String externalKafka;
        private String externalRegistry;
        private int kafkaPort = 9092;
        private int registryPort = 8085;
        private int webUiPort = 8081;
        private int parallelism = 2;
        private Duration checkpointInterval = Duration.ofSeconds(2);
        private Duration duration;
        private Long events;
        private int eventsPerSecond = 500;
        private double badFraction = 0.01;
        private long seed = 42;
        private boolean samples = true;
        private boolean catchUp;
        private String resumeFrom;
        private LocalTelemetry telemetry = LocalTelemetry.synthetic();
        private int searchPort = 8090;
        private int dashboardPort = 8088;

        private Builder() {}

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder externalKafka(@Nullable String bootstrapServers) {
            this.externalKafka = bootstrapServers;
            return this;
        }

        public Builder externalRegistry(@Nullable String url) {
            this.externalRegistry = url;
            return this;
        }

        /** Ports of the embedded broker, registry and Flink web UI; 0 picks a free one. */
        public Builder ports(int kafka, int registry, int webUi) {
            this.kafkaPort = kafka;
            this.registryPort = registry;
            this.webUiPort = webUi;
            return this;
        }

        public Builder parallelism(int parallelism) {
            this.parallelism = parallelism;
            return this;
        }

        public Builder checkpointInterval(Duration interval) {
            this.checkpointInterval = interval;
            return this;
        }

        public Builder duration(@Nullable Duration duration) {
            this.duration = duration;
            return this;
        }

        public Builder events(@Nullable Long events) {
            this.events = events;
            return this;
        }

        public Builder eventsPerSecond(int eventsPerSecond) {
            this.eventsPerSecond = eventsPerSecond;
            return this;
        }

        public Builder badFraction(double badFraction) {
            this.badFraction = badFraction;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Whether to produce sample events; false runs the job on what the topics hold. */
        public Builder samples(boolean samples) {
            this.samples = samples;
            return this;
        }

        public Builder catchUp(boolean catchUp) {
            this.catchUp = catchUp;
            return this;
        }

        public Builder resumeFrom(@Nullable String snapshot) {
            this.resumeFrom = snapshot;
            return this;
        }

        /** Real GPU readings from a collector instead of the synthetic fleet. */
        public Builder telemetry(LocalTelemetry telemetry) {
            this.telemetry = telemetry;
            return this;
        }

        /** The port of {@code /api/search} (default 8090; 0 for any free port). */
        public Builder searchPort(int searchPort) {
            this.searchPort = searchPort;
            return this;
        }

        /** The dashboard's port: 0 picks a free one, -1 serves no dashboard. */
        public Builder dashboardPort(int dashboardPort) {
            this.dashboardPort = dashboardPort;
            return this;
        }

        /**
         * @throws LocalRunException naming every option whose value makes no sense, and why
         */
        public LocalSettings build() {
            List<String> problems = new ArrayList<>();
            if (events != null && events < 1) {
                problems.add(
                        "--events must be at least 1, was "
                                + events
                                + (samples
                                        ? ""
                                        : " (to process what the topics hold, use --catch-up)"));
            }
            if (eventsPerSecond < 1) {
                problems.add("--rate must be at least 1 event per second, was " + eventsPerSecond);
            }
            if (badFraction < 0 || badFraction >= 1 || Double.isNaN(badFraction)) {
                problems.add("--bad-fraction must be at least 0 and below 1, was " + badFraction);
            }
            if (parallelism < 1) {
                problems.add("--parallelism must be at least 1, was " + parallelism);
            }
            if (checkpointInterval == null || checkpointInterval.toMillis() < 10) {
                problems.add(
                        "--checkpoint-interval must be at least 10 ms, was " + checkpointInterval);
            }
            if (duration != null && (duration.isNegative() || duration.isZero())) {
                problems.add("--duration must be positive, was " + duration);
            }
            for (int port : new int[] {kafkaPort, registryPort, webUiPort, searchPort}) {
                if (port < 0 || port > 65_535) {
                    problems.add("ports must be between 0 (any free port) and 65535, was " + port);
                }
            }
            if (dashboardPort < -1 || dashboardPort > 65_535) {
                problems.add(
                        "--dashboard-port must be between 0 (any free port) and 65535, or -1 (no"
                                + " dashboard), was "
                                + dashboardPort);
            }
            if (!samples && events != null) {
                problems.add(
                        "--events counts sample events, and --no-samples produces none: use"
                                + " --catch-up to stop once what the topics hold is processed");
            }
            if (samples && catchUp) {
                problems.add("--catch-up goes with --no-samples (with samples, use --events)");
            }
            if (telemetry == null) {
                problems.add("--telemetry must name where GPU readings come from");
            } else if (events != null
                    && (telemetry.kind() == LocalTelemetry.Kind.NVIDIA_SMI
                            || telemetry.kind() == LocalTelemetry.Kind.DCGM)) {
                problems.add(
                        "--events stops a run once its sample events are in the lake, and live"
                                + " telemetry ("
                                + telemetry.spec()
                                + ") never ends: use --duration"
                                + " or Ctrl-C");
            }
            if (events != null && duration != null) {
                problems.add("give --events or --duration, not both");
            }
            if (!problems.isEmpty()) {
                throw new LocalRunException(String.join("; ", problems) + ".");
            }
            return new LocalSettings(
                    dataDir,
                    externalKafka,
                    externalRegistry,
                    kafkaPort,
                    registryPort,
                    webUiPort,
                    parallelism,
                    checkpointInterval,
                    duration,
                    events,
                    eventsPerSecond,
                    badFraction,
                    seed,
                    samples,
                    catchUp,
                    resumeFrom,
                    telemetry,
                    searchPort,
                    dashboardPort);
        }
    }
}
