package dev.substrate.local;

import dev.substrate.dashboard.Dashboard;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.policies.PolicyOptions;
import dev.substrate.jobs.scheduling.SchedulingOptions;
import dev.substrate.jobs.telemetry.FleetHealthOptions;
import dev.substrate.jobs.telemetry.TelemetryWindowsOptions;
import dev.substrate.jobs.vectors.VectorOptions;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.vectors.LazyVectorSearch;
import dev.substrate.vectors.http.SearchApi;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.flink.configuration.Configuration;

/**
 * The live dashboard of a local run: the job's Kafka outputs (by the topic names the job's
 * configuration gives them), Flink's REST metrics, and search over the job's vector index.
 */
final class LocalDashboard implements AutoCloseable {

    private final Dashboard dashboard;
    @Nullable private final LazyVectorSearch search;

    private LocalDashboard(Dashboard dashboard, @Nullable LazyVectorSearch search) {
        this.dashboard = dashboard;
        this.search = search;
    }

    /** Starts it on {@code 127.0.0.1:port}. */
    static LocalDashboard start(
            int port,
            String bootstrapServers,
            SchemaRegistryClient registry,
            URI flinkRest,
            Configuration config) {
        LazyVectorSearch search =
                config.get(VectorOptions.ENABLED)
                        ? new LazyVectorSearch(
                                VectorOptions.store(config),
                                VectorOptions.embedder(config),
                                System.getenv())
                        : null;
        Dashboard.Builder builder =
                Dashboard.builder()
                        .kafka(bootstrapServers)
                        .registry(registry)
                        .flinkRest(flinkRest)
                        .search(search == null ? null : new SearchApi(search))
                        .port(port)
                        // A local run's outputs are all of this run's data directory.
                        .lookBack(Duration.ofDays(7));
        topics(config).forEach(builder::topic);
        return new LocalDashboard(builder.build().start(), search);
    }

    /** The names the job's configuration gives the topics the dashboard reads. */
    private static Map<Dashboard.Topics, String> topics(Configuration config) {
        return Map.of(
                Dashboard.Topics.GPU_METRICS, config.get(TelemetryWindowsOptions.TOPIC),
                Dashboard.Topics.NODE_HEALTH, config.get(FleetHealthOptions.NODE_HEALTH_TOPIC),
                Dashboard.Topics.GPU_ANOMALIES, config.get(FleetHealthOptions.ANOMALY_TOPIC),
                Dashboard.Topics.CLUSTER_CAPACITY, config.get(FleetHealthOptions.CAPACITY_TOPIC),
                Dashboard.Topics.DEAD_LETTERS, config.get(SubstrateOptions.DEAD_LETTER_TOPIC),
                Dashboard.Topics.SCHEDULING_DECISIONS,
                        config.get(SchedulingOptions.DECISIONS_TOPIC),
                Dashboard.Topics.POLICY_VIOLATIONS, config.get(PolicyOptions.VIOLATIONS_TOPIC));
    }

    URI url() {
        return dashboard.url();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            dashboard.close();
        } finally {
            if (search != null) {
                search.close();
            }
        }
    }
}
