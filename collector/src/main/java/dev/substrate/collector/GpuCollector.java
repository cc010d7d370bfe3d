package dev.substrate.collector;

import dev.substrate.collector.input.CsvFileInput;
import dev.substrate.collector.input.DcgmEndpointInput;
import dev.substrate.collector.input.InputSettings;
import dev.substrate.collector.input.InputStatus;
import dev.substrate.collector.input.NvidiaSmiProcessInput;
import dev.substrate.collector.input.TelemetryInput;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistration;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.registry.TopicNameStrategy;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects real GPU telemetry next to the GPUs and publishes it to Kafka as {@link GpuSample}
 * records in the Confluent wire format, the schema registered under the topic's subject
 * (TopicNameStrategy), for the Substrate job to ingest like any other producer's.
 *
 * <pre>
 *  nvidia-smi -lms ─┐                                ┌──────────────┐
 *  CSV file (tail) ─┼─► readings ─► ReadingBuffer ──►│KafkaPublisher│──► topic substrate.gpu-samples
 *  DCGM /metrics  ──┘   (event ids    (bounded,       │ idempotent,  │    (wire format, key = GPU uuid)
 *                        determin-     drops oldest)  │ acks=all     │
 *                        istic)                       └──────────────┘
 * </pre>
 *
 * <p>Event ids are deterministic (GPU uuid and reading time), so a reading sent twice is dropped as
 * a duplicate by the job. A Kafka outage fills the bounded buffer and then drops the oldest
 * readings, counted in {@link CollectorStatus#dropped()}; memory never grows past the buffer and
 * the in-flight readings, and sending resumes when Kafka is back.
 *
 * <pre>{@code
 * try (GpuCollector collector = GpuCollector.builder()
 *         .bootstrapServers("kafka-1:9092")
 *         .registry(SchemaRegistryConfig.fromEnvironment("https://registry.example.com"))
 *         .labels("us-east-1", "use1-h100-a", null)
 *         .nvidiaSmi("nvidia-smi")
 *         .dcgm(URI.create("http://gpu-node-7:9400/metrics"))
 *         .build()) {
 *     collector.start();          // throws CollectorStartException naming what is wrong
 *     ... collector.status() ...
 * }
 * }</pre>
 */
public final class GpuCollector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GpuCollector.class);

    /** The topic the job reads GPU samples from. */
    public static final String DEFAULT_TOPIC = EventType.GPU_SAMPLE.topic();

    /** Readings the buffer holds by default: 8 GPUs read every second for about 40 minutes. */
    public static final int DEFAULT_BUFFER_CAPACITY = 20_000;

    /** Readings handed to the producer and not yet acknowledged, at most, by default. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1_000;

    private final String bootstrapServers;
    private final SchemaRegistryConfig registry;
    private final String topic;
    private final Map<String, Object> producerProperties;
    private final Duration drainTimeout;
    private final Duration retryBackoff;
    private final List<TelemetryInput> inputs;
    private final ReadingBuffer buffer;
    private KafkaPublisher publisher;
    private AvroWireEncoder encoder;
    private boolean closed;

    private GpuCollector(Builder b, List<TelemetryInput> inputs) {
        this.bootstrapServers = b.bootstrapServers;
        this.registry = b.registry;
        this.topic = b.topic;
        this.producerProperties = Map.copyOf(b.producerProperties);
        this.drainTimeout = b.drainTimeout;
        this.retryBackoff = b.retryBackoff;
        this.inputs = List.copyOf(inputs);
        this.buffer = new ReadingBuffer(b.bufferCapacity, b.maxInFlight);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Registers the GpuSample schema, connects the producer and starts every input. Kafka need not
     * be reachable yet: readings wait in the buffer until it is.
     *
     * @throws CollectorStartException when the registry cannot be reached or refuses the schema, or
     *     an input does not work; everything started is stopped again
     */
    public synchronized void start() throws CollectorStartException {
        if (publisher != null || closed) {
            throw new IllegalStateException("A collector starts once");
        }
        encoder = registerSchema();
        KafkaProducer<byte[], byte[]> producer;
        try {
            producer =
                    new KafkaProducer<>(
                            producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
        } catch (KafkaException e) {
            throw new CollectorStartException(
                    "Cannot create a Kafka producer for "
                            + bootstrapServers
                            + ": "
                            + rootMessage(e)
                            + ". Check --kafka (host:port[,host:port]) and the producer settings.",
                    e);
        }
        publisher =
                new KafkaPublisher(
                        producer, encoder, topic, bootstrapServers, buffer, retryBackoff);
        publisher.start();
        try {
            for (TelemetryInput input : inputs) {
                input.start(buffer);
            }
        } catch (CollectorStartException | RuntimeException e) {
            shutdown(Duration.ZERO);
            throw e;
        }
        LOG.info(
                "Collecting from {} into topic {} at {} (schema id {})",
                inputs.stream().map(i -> i.status().name()).toList(),
                topic,
                bootstrapServers,
                encoder.schemaId());
    }

    private AvroWireEncoder registerSchema() throws CollectorStartException {
        String subject = TopicNameStrategy.valueSubject(topic);
        try (SchemaRegistryClient client = new SchemaRegistryClient(registry)) {
            return SchemaRegistration.register(client, subject, GpuSample.getClassSchema());
        } catch (SchemaRegistryException e) {
            if (e.isRetryable()) {
                throw new CollectorStartException(
                        "Cannot reach the schema registry at "
                                + registry.url()
                                + " ("
                                + rootMessage(e)
                                + "). Start it, or point --registry at it; credentials come from "
                                + SchemaRegistryConfig.ENV_BASIC_AUTH
                                + " or "
                                + SchemaRegistryConfig.ENV_BEARER_TOKEN
                                + ".",
                        e);
            }
            throw new CollectorStartException(
                    "The schema registry at "
                            + registry.url()
                            + " did not register GpuSample under '"
                            + subject
                            + "': "
                            + e.getMessage(),
                    e);
        }
    }

    private Map<String, Object> producerConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "substrate-collector");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        // Metadata and buffer waits block the publisher thread only, and only this long at once.
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        // The producer keeps retrying what is in flight for as long as Kafka is away: the
        // in-flight cap bounds it, and a reading that expired would only come back to be resent.
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        config.putAll(producerProperties);
        // Not negotiable: no reading is lost to a leader change, none is written twice by a retry.
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return config;
    }

    /** The schema id readings are written with; valid after {@link #start()}. */
    public int schemaId() {
        if (encoder == null) {
            throw new IllegalStateException("Not started");
        }
        return encoder.schemaId();
    }

    public String topic() {
        return topic;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** What every input and the Kafka side have done so far. */
    public CollectorStatus status() {
        List<InputStatus> statuses = inputs.stream().map(TelemetryInput::status).toList();
        KafkaPublisher p = publisher;
        // The buffer's counts before sent: a reading acknowledged in between counts twice, never
        // zero times.
        ReadingBuffer.Counts counts = buffer.counts();
        long sent = p == null ? 0 : p.sent();
        return new CollectorStatus(
                statuses,
                sent,
                counts.waiting(),
                buffer.capacity(),
                counts.inFlight(),
                counts.dropped(),
                p == null ? null : p.lastError(),
                p == null ? Duration.ZERO : p.stalledFor());
    }

    /**
     * Waits until every input is finished (only file replays finish) and Kafka acknowledged every
     * reading, at most {@code timeout}; true when that happened.
     */
    public boolean awaitDelivered(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            CollectorStatus status = status();
            if (status.inputsFinished() && status.undelivered() == 0) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(20);
        }
    }

    /**
     * Stops the inputs, gives Kafka up to the drain timeout to take what is buffered, and closes
     * the producer. Readings still undelivered then are counted in the final {@link #status()}.
     */
    @Override
    public void close() {
        shutdown(drainTimeout);
    }

    private synchronized void shutdown(Duration drainTimeout) {
        if (closed) {
            return;
        }
        closed = true;
        for (TelemetryInput input : inputs) {
            try {
                input.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing {} failed", input.status().name(), e);
            }
        }
        if (publisher != null) {
            try {
                if (!publisher.drain(drainTimeout)) {
                    LOG.warn(
                            "{} readings were not delivered to Kafka at {} within {}",
                            status().undelivered(),
                            bootstrapServers,
                            drainTimeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            publisher.close(Duration.ofSeconds(1));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /** The settings of a {@link GpuCollector}; checked in {@link #build()}. */
    public static final class Builder {
        private String bootstrapServers = "127.0.0.1:9092";
        private SchemaRegistryConfig registry;
        private String topic = DEFAULT_TOPIC;
        private int bufferCapacity = DEFAULT_BUFFER_CAPACITY;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private final Map<String, Object> producerProperties = new LinkedHashMap<>();
        private Duration drainTimeout = Duration.ofSeconds(10);
        private Duration retryBackoff = Duration.ofSeconds(1);
        private final InputSettings.Builder inputSettings = InputSettings.builder();
        private boolean nodeGiven;
        private final List<Function<InputSettings, TelemetryInput>> inputs = new ArrayList<>();

        private Builder() {}

        /** Kafka's bootstrap servers, {@code host:port[,host:port]} (default 127.0.0.1:9092). */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The schema registry (required). */
        public Builder registry(SchemaRegistryConfig registry) {
            this.registry = registry;
            return this;
        }

        /** The topic to publish to (default {@code substrate.gpu-samples}). */
        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** How many readings may wait for Kafka (default {@value #DEFAULT_BUFFER_CAPACITY}). */
        public Builder bufferCapacity(int readings) {
            this.bufferCapacity = readings;
            return this;
        }

        /** How many readings may be in flight to Kafka at once (default 1,000). */
        public Builder maxInFlight(int readings) {
            this.maxInFlight = readings;
            return this;
        }

        /**
         * Other Kafka producer settings (TLS, SASL, compression...). {@code acks=all} and
         * idempotence are always on.
         */
        public Builder producerProperties(Map<String, ?> properties) {
            this.producerProperties.putAll(properties);
            return this;
        }

        /** How long closing waits for buffered readings to reach Kafka (default 10 s). */
        public Builder drainTimeout(Duration drainTimeout) {
            this.drainTimeout = drainTimeout;
            return this;
        }

        /** The wait between attempts to reach Kafka after a failure (default 1 s). */
        public Builder retryBackoff(Duration retryBackoff) {
            this.retryBackoff = retryBackoff;
            return this;
        }

        /**
         * Region, cluster and node of every reading; a null node takes the exporter's {@code
         * Hostname} label (DCGM) or this host's name (nvidia-smi, files).
         */
        public Builder labels(String region, String cluster, String node) {
            inputSettings.labels(region, cluster, node);
            nodeGiven = node != null;
            return this;
        }

        /** How often nvidia-smi reads and each DCGM endpoint is scraped (default 1 s). */
        public Builder interval(Duration interval) {
            inputSettings.interval(interval);
            return this;
        }

        /** The time zone of nvidia-smi's timestamps (default: this machine's). */
        public Builder timeZone(ZoneId zone) {
            inputSettings.zone(zone);
            return this;
        }

        /**
         * Where to tell the user about an input that died, a rotated file... (errors are logged
         * too).
         */
        public Builder notices(Consumer<String> notices) {
            inputSettings.notices(notices);
            return this;
        }

        /** Any other input setting: restart backoff, start timeout, file poll interval. */
        public Builder inputSettings(Consumer<InputSettings.Builder> configure) {
            configure.accept(inputSettings);
            return this;
        }

        /** Runs nvidia-smi (a path, or a name on the PATH) with the fields the parser reads. */
        public Builder nvidiaSmi(String binary) {
            return nvidiaSmi(binary, NvidiaSmiCsvParser.queryGpuArgument());
        }

        /** Runs nvidia-smi with these {@code --query-gpu} fields (for drivers that lack some). */
        public Builder nvidiaSmi(String binary, String queryGpu) {
            Objects.requireNonNull(binary, "binary");
            Objects.requireNonNull(queryGpu, "queryGpu");
            inputs.add(settings -> new NvidiaSmiProcessInput(binary, queryGpu, settings));
            return this;
        }

        /** Reads an nvidia-smi CSV file once, or follows it as it grows ({@code tail -F}). */
        public Builder csvFile(Path file, boolean follow) {
            Objects.requireNonNull(file, "file");
            inputs.add(settings -> new CsvFileInput(file, follow, settings));
            return this;
        }

        /** Scrapes a dcgm-exporter endpoint such as {@code http://gpu-node-7:9400/metrics}. */
        public Builder dcgm(URI endpoint) {
            Objects.requireNonNull(endpoint, "endpoint");
            inputs.add(settings -> new DcgmEndpointInput(endpoint, settings));
            return this;
        }

        /** Any other input. */
        public Builder input(TelemetryInput input) {
            Objects.requireNonNull(input, "input");
            inputs.add(settings -> input);
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the setting that is missing or wrong
         */
        public GpuCollector build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("Kafka bootstrap servers are required");
            }
            if (registry == null) {
                throw new IllegalArgumentException("The schema registry is required");
            }
            if (topic == null || topic.isBlank()) {
                throw new IllegalArgumentException("The topic must not be blank");
            }
            if (bufferCapacity < 1) {
                throw new IllegalArgumentException(
                        "The buffer must hold at least 1 reading, was " + bufferCapacity);
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException(
                        "At least 1 reading must be allowed in flight, was " + maxInFlight);
            }
            if (drainTimeout == null || drainTimeout.isNegative()) {
                throw new IllegalArgumentException("The drain timeout must be 0 or more");
            }
            if (retryBackoff == null || retryBackoff.isNegative() || retryBackoff.isZero()) {
                throw new IllegalArgumentException("The retry backoff must be positive");
            }
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException(
                        "No input: add nvidia-smi, a CSV file or a DCGM exporter endpoint");
            }
            if (!nodeGiven) {
                inputSettings.localNode(localHostName());
            }
            InputSettings settings = inputSettings.build();
            List<TelemetryInput> built = new ArrayList<>();
            for (Function<InputSettings, TelemetryInput> input : inputs) {
                built.add(input.apply(settings));
            }
            return new GpuCollector(this, built);
        }

        private static String localHostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                String fromEnv = System.getenv("HOSTNAME");
                return fromEnv == null || fromEnv.isBlank() ? "localhost" : fromEnv;
            }
        }
    }
}
