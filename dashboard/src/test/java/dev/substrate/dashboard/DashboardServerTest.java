package dev.substrate.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.dashboard.http.AccessGuard;
import dev.substrate.dashboard.live.UpdateHub;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DashboardServerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final UpdateHub hub = UpdateHub.create(100, 100, 100);
    private DashboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private DashboardServer start(String host, String token) {
        server =
                DashboardServer.builder()
                        .hub(hub)
                        .metrics(new PrometheusRegistry())
                        .host(host)
                        .port(0)
                        .token(token)
                        .build()
                        .start();
        return server;
    }

    private HttpResponse<String> get(String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.url().resolve(path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageAndChartsFromTheJarWithAPolicyThatForbidsInlineScripts() throws Exception {
        start("127.0.0.1", null);

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"/app.js\"").doesNotContain("<script>");
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(policy).contains("script-src 'self';");
        assertThat(policy.split(";"))
                .filteredOn(d -> d.trim().startsWith("script-src"))
                .singleElement()
                .asString()
                .doesNotContain("unsafe");
        assertThat(get("/vendor/echarts.min.js").body()).contains("echarts");
        assertThat(get("/app.js").body()).contains("textContent").doesNotContain("innerHTML");
        assertThat(get("/no-such-thing").statusCode()).isEqualTo(404);
        assertThat(server.url().getHost()).isEqualTo("127.0.0.1");
    }

    @Test
    void refusesANonLoopbackBindWithoutAToken() {
        assertThatThrownBy(() -> start("0.0.0.0", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.0.0.0")
                .hasMessageContaining(DashboardServer.TOKEN_ENV);
    }

    @Test
    void withATokenEveryRequestMustCarryIt() throws Exception {
        start("0.0.0.0", "s3cret");

        assertThat(get("/").statusCode()).isEqualTo(401);
        assertThat(get("/events").statusCode()).isEqualTo(401);
        assertThat(get("/metrics").statusCode()).isEqualTo(401);
        assertThat(get("/api/search?q=x").statusCode()).isEqualTo(401);
        assertThat(get("/", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(get("/", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(200);
        assertThat(get("/metrics", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(200);

        // A browser trades the token in the address for a cookie, once.
        HttpResponse<String> login = get("/?token=s3cret");
        assertThat(login.statusCode()).isEqualTo(303);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly").containsIgnoringCase("SameSite=Strict");
        String pair = cookie.substring(0, cookie.indexOf(';'));
        assertThat(get("/", "Cookie", pair).statusCode()).isEqualTo(200);
        assertThat(get("/", "Cookie", "substrate_dashboard_token=wrong").statusCode())
                .isEqualTo(401);
        assertThat(get("/?token=wrong").statusCode()).isEqualTo(401);
        assertThat(AccessGuard.CONTENT_SECURITY_POLICY).doesNotContain("script-src 'unsafe");
    }

    @Test
    void streamsASnapshotThenLiveUpdatesAndResumesFromLastEventId() throws Exception {
        start("127.0.0.1", null);
        hub.publish("node-health", "h100-a/node-1", "{\"status\":\"UP\"}");

        List<String> first = new ArrayList<>();
        long lastId;
        try (Stream<String> lines = events(null)) {
            Iterator<String> it = lines.iterator();
            String snapshot = nextData(it, first);
            assertThat(first).contains("event: snapshot");
            assertThat(snapshot).contains("h100-a/node-1").contains("\"status\":\"UP\"");
            hub.publish("node-health", "h100-a/node-2", "{\"status\":\"<b>DOWN</b>\"}");
            String live = nextData(it, first);
            assertThat(live).contains("\"key\":\"h100-a/node-2\"").contains("<b>DOWN</b>");
            lastId = hub.lastId();
            assertThat(first).contains("id: " + lastId);
        }
        // Missed while disconnected: resumed from the replay buffer, in order, nothing else.
        hub.publish("node-health", "h100-a/node-3", "{\"status\":\"DRAIN\"}");
        hub.publish("node-health", "h100-a/node-4", "{\"status\":\"WATCH\"}");
        List<String> second = new ArrayList<>();
        try (Stream<String> lines = events(lastId)) {
            Iterator<String> it = lines.iterator();
            assertThat(nextData(it, second)).contains("h100-a/node-3");
            assertThat(nextData(it, second)).contains("h100-a/node-4");
            assertThat(second).doesNotContain("event: snapshot");
        }
    }

    private Stream<String> events(Long lastEventId) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(server.url().resolve("/events"))
                        .timeout(Duration.ofSeconds(30));
        if (lastEventId != null) {
            request.header("Last-Event-ID", Long.toString(lastEventId));
        }
        HttpResponse<Stream<String>> response =
                http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow())
                .startsWith("text/event-stream");
        return response.body();
    }

    /** The next {@code data:} line, collecting every line read into {@code seen}. */
    private static String nextData(Iterator<String> lines, List<String> seen) throws Exception {
        return CompletableFuture.supplyAsync(
                        () -> {
                            while (lines.hasNext()) {
                                String line = lines.next();
                                seen.add(line);
                                if (line.startsWith("data: ")) {
                                    return line;
                                }
                            }
                            throw new AssertionError("The stream ended: " + seen);
                        })
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void searchWithoutAStoreSaysHowToSetItUp() throws Exception {
        start("127.0.0.1", null);
        HttpResponse<String> answer = get("/api/search?q=gpu");
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.body()).contains("--vectors-path");
        assertThat(URI.create(server.url().toString()).getPort()).isPositive();
    }
}
