package dev.substrate.local;

import dev.substrate.jobs.vectors.VectorOptions;
import dev.substrate.vectors.LazyVectorSearch;
import dev.substrate.vectors.http.SearchApi;
import dev.substrate.vectors.http.SearchHttpServer;
import java.net.URI;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.flink.configuration.ReadableConfig;

/**
 * {@code /api/search} of a local run, on 127.0.0.1: searches the vector index the job writes. It
 * starts before the job's first commit has created the index (until then it answers 503 saying so)
 * and reads each newer commit as it lands.
 */
final class LocalSearch implements AutoCloseable {

    private final LazyVectorSearch search;
    private final SearchHttpServer server;

    private LocalSearch(LazyVectorSearch search, SearchHttpServer server) {
        this.search = search;
        this.server = server;
    }

    /**
     * Serves the index {@code config} names on {@code port}, or nothing (null) when the job's
     * vector stage is off.
     */
    @Nullable
    static LocalSearch start(ReadableConfig config, int port, Map<String, String> environment) {
        if (!config.get(VectorOptions.ENABLED)) {
            return null;
        }
        LazyVectorSearch search =
                new LazyVectorSearch(
                        VectorOptions.store(config), VectorOptions.embedder(config), environment);
        try {
            SearchHttpServer server =
                    SearchHttpServer.builder()
                            .api(new SearchApi(search))
                            .host("127.0.0.1")
                            .port(port)
                            .build()
                            .start();
            return new LocalSearch(search, server);
        } catch (RuntimeException e) {
            search.close();
            throw e;
        }
    }

    /** {@code http://127.0.0.1:<port>/api/search}. */
    URI url() {
        return server.url();
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            search.close();
        }
    }
}
