package dev.substrate.dashboard;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.dashboard.feeds.ClusterCapacityFeed;
import dev.substrate.dashboard.feeds.DeadLetterFeed;
import dev.substrate.dashboard.feeds.Feed;
import dev.substrate.dashboard.feeds.FeedConsumer;
import dev.substrate.dashboard.feeds.GpuAnomalyFeed;
import dev.substrate.dashboard.feeds.GpuMetricsFeed;
import dev.substrate.dashboard.feeds.NodeHealthFeed;
import dev.substrate.dashboard.feeds.PolicyViolationFeed;
import dev.substrate.dashboard.feeds.SchedulingDecisionFeed;
import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.dashboard.metrics.FlinkRestMetrics;
import dev.substrate.dashboard.tenants.TenantUsage;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.vectors.http.SearchApi;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.annotation.Nullable;

/**
 * The whole dashboard: the feeds reading the job's Kafka output topics into the {@link UpdateHub},
 * Flink's REST metrics polled into {@code /metrics} and the pipeline panel, and the {@link
 * DashboardServer} that serves it all. {@code substrate local} starts one beside the job; {@code
 * substrate dashboard} starts one against a cluster's Kafka, registry and Flink.
 *
 * <pre>
 *  Kafka output topics ──► FeedConsumer ──► Feed (one per topic) ──────┐
 *  (wire format, registry)                   │ decisions, node windows  │
 *                                            └─► TenantUsage ───────────┼─► UpdateHub ─► /events
 *  Flink REST API ──► FlinkRestMetrics (every 5 s) ─► pipeline panel ───┘      (SSE)
 *                            └───────────────────────────────────────────► /metrics (Prometheus)
 * </pre>
 */
public final class Dashboard implements AutoCloseable {

    /** How often Flink's REST metrics are read. */
    public static final Duration METRICS_EVERY = Duration.ofSeconds(5);

    /** Panels that the pipeline's metrics fill. */
    public static final String PIPELINE_PANEL = "pipeline";

    public static final String CHECKPOINTS_PANEL = "checkpoints";

    private final DashboardServer server;
    private final FeedConsumer consumer;
    private final UpdateHub hub;
    @Nullable private final FlinkRestMetrics flink;
    private final ScheduledExecutorService poller;

    private Dashboard(Builder builder) {
        UpdateHub hub = UpdateHub.create(500, 5_000, 2_000);
        PrometheusRegistry registry = new PrometheusRegistry();
        AtomicReference<DashboardServer> serverRef = new AtomicReference<>();
        DashboardMetrics metrics =
                new DashboardMetrics(
                        registry, () -> serverRef.get() == null ? 0 : serverRef.get().browsers());
        // First, so that a refused bind fails before anything else starts.
        this.server =
                DashboardServer.builder()
                        .hub(hub)
                        .metrics(registry)
                        .search(builder.search)
                        .host(builder.host)
                        .port(builder.port)
                        .token(builder.token)
                        .build();
        TenantUsage tenants = new TenantUsage();
        List<Feed<?>> feeds =
                List.of(
                        new GpuMetricsFeed(builder.topic(Topics.GPU_METRICS), tenants),
                        new ClusterCapacityFeed(builder.topic(Topics.CLUSTER_CAPACITY)),
                        new NodeHealthFeed(builder.topic(Topics.NODE_HEALTH), metrics),
                        new GpuAnomalyFeed(builder.topic(Topics.GPU_ANOMALIES), metrics),
                        new DeadLetterFeed(builder.topic(Topics.DEAD_LETTERS), metrics),
                        new SchedulingDecisionFeed(
                                builder.topic(Topics.SCHEDULING_DECISIONS), metrics, tenants),
                        new PolicyViolationFeed(builder.topic(Topics.POLICY_VIOLATIONS), metrics));
        this.consumer =
                new FeedConsumer(
                        builder.kafka,
                        builder.registry,
                        feeds,
                        hub,
                        metrics,
                        builder.lookBack,
                        Clock.systemUTC());
        this.hub = hub;
        this.flink =
                builder.flinkRest == null
                        ? null
                        : new FlinkRestMetrics(builder.flinkRest, Clock.systemUTC());
        if (flink != null) {
            registry.register(flink);
        }
        this.poller =
                Executors.newSingleThreadScheduledExecutor(
                        runnable -> {
                            Thread thread = new Thread(runnable, "dashboard-flink-metrics");
                            thread.setDaemon(true);
                            return thread;
                        });
        serverRef.set(server);
    }

    private static void publishPipeline(List<FlinkRestMetrics.JobMetrics> jobs, UpdateHub hub) {
        for (FlinkRestMetrics.JobMetrics job : jobs) {
            job.recordsInOutPerStage()
                    .forEach(
                            (stage, inOut) -> {
                                ObjectNode json = JsonNodeFactory.instance.objectNode();
                                json.put("job", job.name());
                                json.put("stage", stage);
                                json.put("records_in", inOut[0]);
                                json.put("records_out", inOut[1]);
                                hub.publish(
                                        PIPELINE_PANEL, job.name() + "|" + stage, json.toString());
                            });
            ObjectNode checkpoint = JsonNodeFactory.instance.objectNode();
            checkpoint.put("job", job.name());
            checkpoint.put("duration_s", job.checkpointDurationSeconds());
            checkpoint.put("age_s", job.checkpointAgeSeconds());
            hub.publish(CHECKPOINTS_PANEL, job.name(), checkpoint.toString());
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts reading and serving. */
    public Dashboard start() {
        server.start();
        consumer.start();
        if (flink != null) {
            poller.scheduleWithFixedDelay(
                    () -> publishPipeline(flink.poll(), hub),
                    0,
                    METRICS_EVERY.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** {@code http://<host>:<port>/}. */
    public URI url() {
        return server.url();
    }

    /** What the browsers are sent (tests look at it directly). */
    UpdateHub hub() {
        return hub;
    }

    @Override
    public void close() throws InterruptedException {
        poller.shutdownNow();
        try {
            server.close();
        } finally {
            consumer.close();
        }
    }

    /** The Kafka output topics it reads, and their default names (the job's defaults). */
    public enum Topics {
        GPU_METRICS("substrate.gpu-metrics"),
        CLUSTER_CAPACITY("substrate.cluster-capacity"),
        NODE_HEALTH("substrate.node-health"),
        GPU_ANOMALIES("substrate.gpu-anomalies"),
        DEAD_LETTERS("substrate.dead-letters"),
        SCHEDULING_DECISIONS("substrate.scheduling-decisions"),
        POLICY_VIOLATIONS("substrate.policy-violations");

        private final String defaultName;

        Topics(String defaultName) {
            this.defaultName = defaultName;
        }

        public String defaultName() {
            return defaultName;
        }
    }

    /** Builds a {@link Dashboard}; Kafka and the registry are required. */
    public static final class Builder {
        private String kafka;
        private SchemaRegistryClient registry;
        @Nullable private URI flinkRest;
        @Nullable private SearchApi search;
        private String host = "127.0.0.1";
        private int port = DashboardServer.DEFAULT_PORT;
        @Nullable private String token;
        private Duration lookBack = Duration.ofHours(1);
        private final Map<Topics, String> topics = new java.util.EnumMap<>(Topics.class);

        private Builder() {}

        /** The Kafka bootstrap servers the job writes its outputs to. */
        public Builder kafka(String bootstrapServers) {
            this.kafka = bootstrapServers;
            return this;
        }

        /** The registry client the outputs' schemas are fetched with (not closed here). */
        public Builder registry(SchemaRegistryClient registry) {
            this.registry = registry;
            return this;
        }

        /** Flink's REST address, for {@code /metrics} and the pipeline panel; null for none. */
        public Builder flinkRest(@Nullable URI flinkRest) {
            this.flinkRest = flinkRest;
            return this;
        }

        /** What the search box asks; null for none (it then says how to set it up). */
        public Builder search(@Nullable SearchApi search) {
            this.search = search;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The token for a non-loopback bind (from {@value DashboardServer#TOKEN_ENV}). */
        public Builder token(@Nullable String token) {
            this.token = token;
            return this;
        }

        /** How far back (by Kafka timestamp) to start reading the topics (default 1 hour). */
        public Builder lookBack(Duration lookBack) {
            this.lookBack = lookBack;
            return this;
        }

        /** Another name for one of the topics (when the job's option renames it). */
        public Builder topic(Topics topic, String name) {
            topics.put(topic, name);
            return this;
        }

        private String topic(Topics topic) {
            return topics.getOrDefault(topic, topic.defaultName());
        }

        public Dashboard build() {
            Objects.requireNonNull(kafka, "kafka");
            Objects.requireNonNull(registry, "registry");
            if (lookBack.isNegative()) {
                throw new IllegalArgumentException("The look-back must not be negative");
            }
            return new Dashboard(this);
        }
    }
}
