package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.jobs.vectors.VectorOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local run's {@code /api/search}: on the loopback address, up before the index exists. */
class LocalSearchTest {

    @TempDir Path dir;

    @Test
    void servesOnLoopbackAndSaysWhenTheJobHasNotCreatedTheIndexYet() throws Exception {
        Configuration config = new Configuration();
        config.set(VectorOptions.PATH, dir.resolve("vectors").toString());
        try (LocalSearch search = LocalSearch.start(config, 0, Map.of())) {
            assertThat(search).isNotNull();
            assertThat(search.url().toString())
                    .startsWith("http://127.0.0.1:")
                    .endsWith("/api/search");
            HttpResponse<String> response =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(
                                                    URI.create(search.url() + "?q=gpu&mode=bm25"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("No vector index at");
        }
    }

    @Test
    void nothingIsServedWhenTheVectorStageIsOff() {
        Configuration config = new Configuration();
        config.set(VectorOptions.ENABLED, false);
        assertThat(LocalSearch.start(config, 0, Map.of())).isNull();
    }
}
