package dev.substrate.local.cli;

import dev.substrate.dashboard.Dashboard;
import dev.substrate.dashboard.DashboardServer;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.vectors.LazyVectorSearch;
import dev.substrate.vectors.embedding.EmbedderConfig;
import dev.substrate.vectors.http.SearchApi;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code substrate dashboard}: the live dashboard on its own, against the Kafka output topics,
 * schema registry and Flink REST API of a job running elsewhere (a cluster deployment).
 */
@Command(
        name = "dashboard",
        mixinStandardHelpOptions = true,
        description = {
            "Serves the live dashboard (fleet, node health, anomalies, dead letters, pipeline"
                    + " metrics, search) and /metrics (Prometheus) for a job running elsewhere,"
                    + " reading its Kafka output topics. Binds to 127.0.0.1; any other --host needs"
                    + " a token in "
                    + DashboardServer.TOKEN_ENV
                    + ". Runs until Ctrl-C."
        })
public final class DashboardCommand implements Callable<Integer> {

    @Option(
            names = "--kafka",
            required = true,
            description = "Bootstrap servers of the Kafka the job writes its outputs to.")
    String kafka;

    @Option(
            names = "--registry",
            required = true,
            description =
                    "URL of the schema registry (credentials from SUBSTRATE_REGISTRY_BASIC_AUTH or"
                            + " SUBSTRATE_REGISTRY_BEARER_TOKEN).")
    String registry;

    @Option(
            names = "--flink",
            paramLabel = "<url>",
            description =
                    "Flink's REST address (e.g. http://jobmanager:8081), for /metrics and the"
                            + " pipeline panel; without it they stay empty.")
    URI flinkRest;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(
            names = "--port",
            defaultValue = "8088",
            description = "Port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--vectors-path",
            paramLabel = "<dir>",
            description =
                    "The job's Lucene vector index (its vectors.path), for the search box;"
                            + " without it search says it is not configured.")
    Path vectorsPath;

    @Option(
            names = "--look-back",
            defaultValue = "1h",
            converter = DurationConverter.class,
            description =
                    "Start reading the topics this far back by record time (default:"
                            + " ${DEFAULT-VALUE}).")
    Duration lookBack;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LazyVectorSearch search =
                vectorsPath == null
                        ? null
                        : new LazyVectorSearch(
                                VectorStoreConfig.lucene(vectorsPath),
                                EmbedderConfig.miniLm(
                                        vectorsPath.toAbsolutePath().resolveSibling("embeddings")),
                                System.getenv());
        Dashboard dashboard;
        try (SchemaRegistryClient client =
                new SchemaRegistryClient(SchemaRegistryConfig.fromEnvironment(registry))) {
            try {
                dashboard =
                        Dashboard.builder()
                                .kafka(kafka)
                                .registry(client)
                                .flinkRest(flinkRest)
                                .search(search == null ? null : new SearchApi(search))
                                .host(host)
                                .port(port)
                                .token(System.getenv(DashboardServer.TOKEN_ENV))
                                .lookBack(lookBack)
                                .build();
            } catch (IllegalArgumentException e) {
                err.println("substrate dashboard: " + e.getMessage());
                return 2;
            }
            CountDownLatch stop = new CountDownLatch(1);
            try {
                dashboard.start();
                Signal.handle(new Signal("INT"), signal -> stop.countDown());
                Signal.handle(new Signal("TERM"), signal -> stop.countDown());
                out.println("Dashboard:        " + dashboard.url());
                out.println("Metrics:          " + dashboard.url().resolve("/metrics"));
                out.println("Ctrl-C stops it.");
                stop.await();
            } catch (IllegalStateException e) {
                err.println("substrate dashboard: " + e.getMessage());
                return 1;
            } finally {
                dashboard.close();
                if (search != null) {
                    search.close();
                }
            }
        }
        return 0;
    }
}
