package dev.substrate.embedded.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM, for
 * local runs and tests. Its data lives in a given directory and survives a restart.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"))) {
 *     kafka.createTopics(Map.of("substrate.gpu-samples", 4));
 *     String bootstrap = kafka.bootstrapServers(); // 127.0.0.1:<port>
 * }
 * }</pre>
 *
 * <p>Built from Kafka's production classes: the log directory is formatted with {@link Formatter}
 * (what {@code kafka-storage.sh format} does) and the server is a {@link KafkaRaftServer} (what
 * {@code kafka-server-start.sh} runs). Both listeners bind to 127.0.0.1.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    /** The host every listener binds to and advertises. */
    public static final String HOST = "127.0.0.1";

    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    private static final int FREE_PORT_ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final Path logDir;
    private final int port;
    private final int controllerPort;
    private final Admin admin;
    private boolean closed;

    private EmbeddedKafkaBroker(
            KafkaRaftServer server, Path logDir, int port, int controllerPort, Admin admin) {
        this.server = server;
        this.logDir = logDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.admin = admin;
    }

    /** Starts a broker on a free port with the default settings, data in {@code logDir}. */
    public static EmbeddedKafkaBroker start(Path logDir) throws IOException {
        return builder(logDir).start();
    }

    /**
     * Starts a broker on {@code port} (0 = a free port), data in {@code logDir}.
     *
     * @throws PortInUseException when {@code port} is taken
     */
    public static EmbeddedKafkaBroker start(Path logDir, int port) throws IOException {
        return builder(logDir).port(port).start();
    }

    /** A builder for a broker whose data lives in {@code logDir} (created when missing). */
    public static Builder builder(Path logDir) {
        return new Builder(logDir);
    }

    /** The address clients connect to, {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The port of the client listener. */
    public int port() {
        return port;
    }

    /** The port of the KRaft controller listener (not for clients). */
    public int controllerPort() {
        return controllerPort;
    }

    /** The directory holding the broker's logs and metadata. */
    public Path logDir() {
        return logDir;
    }

    /**
     * Creates the topics that do not exist yet, each with the given number of partitions and
     * replication factor 1. Existing topics are left as they are, so calling this again is safe.
     */
    public void createTopics(Map<String, Integer> partitionsByTopic) {
        createTopics(partitionsByTopic, Map.of());
    }

    /**
     * Like {@link #createTopics(Map)}, for compacted topics ({@code cleanup.policy=compact}): the
     * broker keeps the latest record of each key.
     */
    public void createCompactedTopics(Map<String, Integer> partitionsByTopic) {
        createTopics(partitionsByTopic, Map.of("cleanup.policy", "compact"));
    }

    /**
     * Creates the topics that do not exist yet with the given topic-level configuration (for
     * example {@code retention.ms}); existing topics are left as they are.
     */
    public void createTopics(Map<String, Integer> partitionsByTopic, Map<String, String> configs) {
        List<NewTopic> topics = new ArrayList<>();
        partitionsByTopic.forEach(
                (name, partitions) -> {
                    if (partitions == null || partitions < 1) {
                        throw new IllegalArgumentException(
                                "Topic " + name + " needs at least 1 partition, got " + partitions);
                    }
                    topics.add(new NewTopic(name, partitions, (short) 1).configs(configs));
                });
        if (topics.isEmpty()) {
            return;
        }
        CreateTopicsResult result = admin.createTopics(topics);
        for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> entry :
                result.values().entrySet()) {
            try {
                entry.getValue().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                LOG.info("Created topic {}", entry.getKey());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "Could not create topic " + entry.getKey() + ": " + e.getCause(),
                            e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException(
                        "Timed out after " + ADMIN_TIMEOUT + " creating topic " + entry.getKey(),
                        e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(
                        "Interrupted while creating topic " + entry.getKey(), e);
            }
        }
    }

    /** Stops the broker; the data stays in {@link #logDir()} for the next start. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        admin.close(Duration.ofSeconds(2));
        server.shutdown();
        server.awaitShutdown();
        LOG.info(
                "Kafka broker on {} stopped in {} ms",
                bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker{" + bootstrapServers() + ", logDir=" + logDir + "}";
    }

    /** Thrown when the port asked for is already taken by another process. */
    public static final class PortInUseException extends IOException {
        private static final long serialVersionUID = 1L;

        private final int port;

        PortInUseException(int port, Throwable cause) {
            super(
                    "Port "
                            + port
                            + " on "
                            + HOST
                            + " is already in use, so the embedded Kafka broker cannot listen on"
                            + " it. Stop the process holding it (another local run or Kafka broker"
                            + " - see `ss -ltnp 'sport = :"
                            + port
                            + "'`) or choose another Kafka port (--kafka-port for a local run; 0"
                            + " picks a free one).",
                    cause);
            this.port = port;
        }

        /** The port that was taken. */
        public int port() {
            return port;
        }
    }

    /** Settings of an {@link EmbeddedKafkaBroker}; every one has a default that works locally. */
    public static final class Builder {
        private final Path logDir;
        private int port;
        private int defaultPartitions = 1;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder(Path logDir) {
            this.logDir = Objects.requireNonNull(logDir, "logDir").toAbsolutePath();
        }

        /** The client port; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("Not a port: " + port);
            }
            this.port = port;
            return this;
        }

        /** Partitions of topics created without a partition count (default 1). */
        public Builder defaultPartitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("Partitions must be at least 1: " + partitions);
            }
            this.defaultPartitions = partitions;
            return this;
        }

        /** Any other broker setting (a {@code server.properties} key), applied last. */
        public Builder brokerProperty(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /**
         * Formats the log directory when it is new, starts the broker and waits until it serves
         * clients.
         *
         * @throws PortInUseException when a fixed port is taken
         * @throws IOException when the log directory cannot be created or the broker fails to start
         */
        public EmbeddedKafkaBroker start() throws IOException {
            Files.createDirectories(logDir);
            if (port != 0) {
                ensurePortFree(port);
            }
            // Ports chosen up front can be taken by someone else before the broker binds them;
            // with free ports we simply pick new ones and try again.
            int attempts = port == 0 ? FREE_PORT_ATTEMPTS : 1;
            for (int attempt = 1; ; attempt++) {
                int brokerPort = port != 0 ? port : freePort();
                int controllerPort = freePort();
                while (controllerPort == brokerPort) {
                    controllerPort = freePort();
                }
                try {
                    return startOn(brokerPort, controllerPort);
                } catch (IOException e) {
                    if (attempt >= attempts || !causedByBind(e)) {
                        throw e;
                    }
                    LOG.warn("Kafka ports were taken meanwhile, retrying on other ports", e);
                }
            }
        }

        private EmbeddedKafkaBroker startOn(int brokerPort, int controllerPort) throws IOException {
            long started = System.nanoTime();
            KafkaConfig config = KafkaConfig.fromProps(properties(brokerPort, controllerPort));
            format(config);
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                // Returns once the broker is registered and unfenced, i.e. ready for clients.
                server.startup();
            } catch (RuntimeException e) {
                shutdownQuietly(server);
                if (causedByBind(e) && brokerPort == port) {
                    throw new PortInUseException(brokerPort, e);
                }
                throw new IOException(
                        "Kafka broker failed to start on "
                                + HOST
                                + ":"
                                + brokerPort
                                + " with log dir "
                                + logDir
                                + ": "
                                + e.getMessage(),
                        e);
            }
            Admin admin =
                    Admin.create(
                            Map.of(
                                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    HOST + ":" + brokerPort,
                                    AdminClientConfig.CLIENT_ID_CONFIG,
                                    "substrate-embedded-kafka-admin"));
            EmbeddedKafkaBroker broker =
                    new EmbeddedKafkaBroker(server, logDir, brokerPort, controllerPort, admin);
            LOG.info(
                    "Kafka broker started on {} in {} ms (log dir {})",
                    broker.bootstrapServers(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                    logDir);
            return broker;
        }

        private Properties properties(int brokerPort, int controllerPort) {
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", String.valueOf(NODE_ID));
            // A static quorum: the voter is in the configuration, not in the log, so the
            // controller port may change from one start to the next.
            props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
            props.put("controller.listener.names", CONTROLLER_LISTENER);
            props.put("inter.broker.listener.name", BROKER_LISTENER);
            props.put(
                    "listeners",
                    BROKER_LISTENER
                            + "://"
                            + HOST
                            + ":"
                            + brokerPort
                            + ","
                            + CONTROLLER_LISTENER
                            + "://"
                            + HOST
                            + ":"
                            + controllerPort);
            props.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
            props.put(
                    "listener.security.protocol.map",
                    BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
            props.put("log.dirs", logDir.toString());
            props.put("num.partitions", String.valueOf(defaultPartitions));
            props.put("auto.create.topics.enable", "false");
            props.put("default.replication.factor", "1");
            props.put("min.insync.replicas", "1");
            // Internal topics of one node: replication factor 1 and few partitions, so the first
            // consumer group and the first transaction do not wait for 50 partitions each.
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "1");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("transaction.state.log.num.partitions", "1");
            props.put("share.coordinator.state.topic.replication.factor", "1");
            props.put("share.coordinator.state.topic.min.isr", "1");
            props.put("group.initial.rebalance.delay.ms", "0");
            // Local data is often replayed or synthetic with event times far from now: keep it
            // (no time-based retention) and accept timestamps in the future.
            props.put("log.retention.ms", "-1");
            props.put("log.message.timestamp.after.max.ms", String.valueOf(Long.MAX_VALUE));
            // The default 128 MiB compaction buffer is sized for production brokers.
            props.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
            // Faster readiness and shutdown of a single node.
            props.put("broker.heartbeat.interval.ms", "500");
            props.put("controller.quorum.election.timeout.ms", "500");
            props.putAll(overrides);
            return props;
        }

        private void format(KafkaConfig config) throws IOException {
            Formatter formatter =
                    new Formatter()
                            .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                            .setNodeId(NODE_ID)
                            // A formatted directory keeps its cluster id (and so its data).
                            .setClusterId(existingClusterId().orElse(Uuid.randomUuid().toString()))
                            .setIgnoreFormatted(true)
                            .setControllerListenerName(CONTROLLER_LISTENER)
                            .setMetadataLogDirectory(config.metadataLogDir())
                            .setHasDynamicQuorum(false)
                            .addDirectory(config.metadataLogDir());
            try {
                formatter.run();
            } catch (Exception e) {
                throw new IOException(
                        "Could not format the Kafka log directory "
                                + logDir
                                + ": "
                                + e.getMessage()
                                + " (delete the directory to start with an empty broker)",
                        e);
            }
        }

        private Optional<String> existingClusterId() throws IOException {
            Path metaProperties = logDir.resolve("meta.properties");
            if (!Files.isRegularFile(metaProperties)) {
                return Optional.empty();
            }
            Properties meta = new Properties();
            try (Reader reader = Files.newBufferedReader(metaProperties)) {
                meta.load(reader);
            }
            return Optional.ofNullable(meta.getProperty("cluster.id"));
        }

        private static void shutdownQuietly(KafkaRaftServer server) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                LOG.debug("Ignoring failure while stopping a broker that failed to start", e);
            }
        }
    }

    private static void ensurePortFree(int port) throws PortInUseException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
        } catch (IOException e) {
            throw new PortInUseException(port, e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on " + HOST, e);
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || (t.getMessage() != null
                            && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }
}
