package dev.substrate.collector.input;

import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What every input of one collector shares: the labels its readings carry, how often it reads, and
 * how it waits and restarts. Every setting has a default that works next to a GPU.
 *
 * <pre>{@code
 * InputSettings settings = InputSettings.builder()
 *         .labels("us-east-1", "use1-h100-a", null) // node: this host, or the exporter's Hostname
 *         .interval(Duration.ofMillis(250))
 *         .build();
 * }</pre>
 */
public final class InputSettings {

    private final String region;
    private final String cluster;
    private final String node;
    private final String localNode;
    private final ZoneId zone;
    private final Duration interval;
    private final Duration pollInterval;
    private final Duration startTimeout;
    private final Duration restartBackoff;
    private final Duration maxRestartBackoff;
    private final Consumer<String> notices;

    private InputSettings(Builder b) {
        this.region = b.region;
        this.cluster = b.cluster;
        this.node = b.node;
        this.localNode = b.localNode;
        this.zone = b.zone;
        this.interval = b.interval;
        this.pollInterval = b.pollInterval;
        this.startTimeout = b.startTimeout;
        this.restartBackoff = b.restartBackoff;
        this.maxRestartBackoff = b.maxRestartBackoff;
        this.notices = b.notices;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String region() {
        return region;
    }

    public String cluster() {
        return cluster;
    }

    /** The node every reading is labelled with, or null to take it from the input. */
    public String node() {
        return node;
    }

    /** The node of readings taken on this machine (nvidia-smi, a file): the flag, else the host. */
    public String localNode() {
        return node != null ? node : localNode;
    }

    /** The time zone of nvidia-smi's timestamps (it prints local time without a zone). */
    public ZoneId zone() {
        return zone;
    }

    /** How often nvidia-smi reads ({@code -lms}) and each DCGM endpoint is scraped. */
    public Duration interval() {
        return interval;
    }

    /** How often a followed file is checked for new lines, truncation and rotation. */
    public Duration pollInterval() {
        return pollInterval;
    }

    /** How long an input may take to show it works when the collector starts. */
    public Duration startTimeout() {
        return startTimeout;
    }

    /** The first wait before nvidia-smi is started again; it doubles up to the maximum. */
    public Duration restartBackoff() {
        return restartBackoff;
    }

    public Duration maxRestartBackoff() {
        return maxRestartBackoff;
    }

    /** Tells the user something happened that they should know now (an input died, a rotation). */
    public void notice(String message) {
        notices.accept(message);
    }

    /** The settings of an {@link InputSettings}; every one has a default. */
    public static final class Builder {
        private String region = "local";
        private String cluster = "local";
        private String node;
        private String localNode = "localhost";
        private ZoneId zone = ZoneId.systemDefault();
        private Duration interval = Duration.ofSeconds(1);
        private Duration pollInterval = Duration.ofMillis(250);
        private Duration startTimeout = Duration.ofSeconds(15);
        private Duration restartBackoff = Duration.ofSeconds(1);
        private Duration maxRestartBackoff = Duration.ofSeconds(30);
        private Consumer<String> notices = message -> {};

        private Builder() {}

        /**
         * Region and cluster of every reading (default {@code local}), and the node: null takes it
         * from the exporter's {@code Hostname} label (DCGM) or this host's name (nvidia-smi,
         * files).
         */
        public Builder labels(String region, String cluster, String node) {
            this.region = requireLabel(region, "region");
            this.cluster = requireLabel(cluster, "cluster");
            this.node = node == null ? null : requireLabel(node, "node");
            return this;
        }

        /** This host's name, the node of local readings when no node is given. */
        public Builder localNode(String localNode) {
            this.localNode = requireLabel(localNode, "local node");
            return this;
        }

        /** The time zone nvidia-smi prints its timestamps in (default: this machine's). */
        public Builder zone(ZoneId zone) {
            this.zone = Objects.requireNonNull(zone, "zone");
            return this;
        }

        /** The reading interval (default 1 s). */
        public Builder interval(Duration interval) {
            this.interval = requirePositive(interval, "interval");
            return this;
        }

        /** How often a followed file is checked (default 250 ms). */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = requirePositive(pollInterval, "poll interval");
            return this;
        }

        /** How long an input may take to show it works at start (default 15 s). */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = requirePositive(startTimeout, "start timeout");
            return this;
        }

        /** First and longest wait before restarting nvidia-smi (default 1 s, 30 s). */
        public Builder restartBackoff(Duration first, Duration max) {
            this.restartBackoff = requirePositive(first, "restart backoff");
            this.maxRestartBackoff = requirePositive(max, "maximum restart backoff");
            if (max.compareTo(first) < 0) {
                throw new IllegalArgumentException(
                        "The maximum restart backoff "
                                + max
                                + " is shorter than the first "
                                + first);
            }
            return this;
        }

        /** Where notices go (default: nowhere; {@code substrate collect} prints them). */
        public Builder notices(Consumer<String> notices) {
            this.notices = Objects.requireNonNull(notices, "notices");
            return this;
        }

        public InputSettings build() {
            return new InputSettings(this);
        }

        private static String requireLabel(String value, String what) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("The " + what + " label must not be blank");
            }
            return value.trim();
        }

        private static Duration requirePositive(Duration value, String what) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(
                        "The " + what + " must be positive, was " + value);
            }
            return value;
        }
    }
}
