package dev.substrate.collector.input;

import dev.substrate.collector.CollectorStartException;
import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.DcgmMetricsParser;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes one NVIDIA dcgm-exporter endpoint ({@code http://host:9400/metrics}) every interval,
 * asynchronously, and turns each scrape into one reading per GPU with {@link DcgmMetricsParser}
 * (its labels {@code UUID}, {@code gpu}, {@code modelName}, {@code Hostname}, {@code GPU_I_PROFILE}
 * become the reading's). The node is the {@code --node} given, else the exporter's {@code Hostname}
 * label, else the endpoint's host. A reading's time is the scrape's start, so its event id ({@code
 * GpuSampleIds}) is the same however often it is sent.
 *
 * <p>The first scrape happens in {@link #start}: an endpoint that cannot be reached, answers other
 * than 200 (a wrong path gives 404) or serves no DCGM series stops the start with the URL and the
 * fix. Later failures are counted, shown in the status and retried at the next interval; a scrape
 * still running when the next is due makes that one skip, so a slow exporter is never scraped twice
 * at once.
 */
public final class DcgmEndpointInput implements TelemetryInput {

    private static final Logger LOG = LoggerFactory.getLogger(DcgmEndpointInput.class);

    private final URI url;
    private final InputSettings settings;
    private final InputCounters counters;
    private final DcgmMetricsParser parser;
    private final HttpClient client;
    private final HttpRequest request;
    private final ScheduledExecutorService scheduler;
    private volatile CompletableFuture<?> inFlight = CompletableFuture.completedFuture(null);
    private volatile boolean closed;

    public DcgmEndpointInput(URI url, InputSettings settings) {
        this.url = Objects.requireNonNull(url, "url");
        this.settings = Objects.requireNonNull(settings, "settings");
        String scheme = url.getScheme();
        if (url.getHost() == null
                || scheme == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new IllegalArgumentException(
                    "A DCGM exporter endpoint is an http(s) URL such as"
                            + " http://gpu-node-1:9400/metrics, not '"
                            + url
                            + "'");
        }
        this.counters = new InputCounters("dcgm " + url);
        this.parser = new DcgmMetricsParser(settings.region(), settings.cluster(), url.getHost());
        this.client = HttpClient.newBuilder().connectTimeout(settings.startTimeout()).build();
        this.request =
                HttpRequest.newBuilder(url)
                        .timeout(settings.startTimeout())
                        .header("Accept", "text/plain")
                        .GET()
                        .build();
        this.scheduler =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "dcgm-scrape-" + url.getAuthority());
                            t.setDaemon(true);
                            return t;
                        });
    }

    @Override
    public void start(ReadingSink sink) throws CollectorStartException {
        Instant started = Instant.now();
        HttpResponse<String> first;
        try {
            first = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CollectorStartException(
                    "Cannot reach the DCGM exporter at "
                            + url
                            + " ("
                            + describe(e)
                            + "). Is dcgm-exporter running there? It listens on port 9400 by"
                            + " default and serves /metrics.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectorStartException("Interrupted while scraping " + url, e);
        }
        if (first.statusCode() != 200) {
            throw new CollectorStartException(
                    "The DCGM exporter at "
                            + url
                            + " answered HTTP "
                            + first.statusCode()
                            + (first.statusCode() == 404
                                    ? ": no such page. dcgm-exporter serves its metrics at"
                                            + " /metrics, e.g. http://"
                                            + url.getAuthority()
                                            + "/metrics."
                                    : ". Check the exporter's log."));
        }
        List<GpuSample> readings = parser.parse(first.body(), started);
        if (readings.isEmpty()) {
            throw new CollectorStartException(
                    url
                            + " answered, but with no DCGM_FI_* series carrying a UUID label: it"
                            + " is not a dcgm-exporter, or the exporter sees no GPU.");
        }
        deliver(readings, sink);
        long period = Math.max(1, settings.interval().toMillis());
        scheduler.scheduleAtFixedRate(() -> scrape(sink), period, period, TimeUnit.MILLISECONDS);
    }

    /** One scheduled scrape; the response is handled on the HTTP client's threads. */
    private void scrape(ReadingSink sink) {
        if (closed || !inFlight.isDone()) {
            return; // the previous scrape is still running: skip this one
        }
        Instant started = Instant.now();
        inFlight =
                client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                        .whenComplete((response, error) -> handle(response, error, started, sink));
    }

    private synchronized void handle(
            HttpResponse<String> response, Throwable error, Instant started, ReadingSink sink) {
        if (closed) {
            return;
        }
        if (error != null) {
            counters.error("cannot reach " + url + ": " + describe(error), LOG);
        } else if (response.statusCode() != 200) {
            counters.error(url + " answered HTTP " + response.statusCode(), LOG);
        } else {
            List<GpuSample> readings = parser.parse(response.body(), started);
            if (readings.isEmpty()) {
                counters.error(url + " served no DCGM series with a UUID", LOG);
            }
            deliver(readings, sink);
        }
    }

    private void deliver(List<GpuSample> readings, ReadingSink sink) {
        String node = settings.node();
        for (GpuSample reading : readings) {
            if (node != null) {
                reading.setNode(node);
            }
            sink.accept(reading);
            counters.readOne();
        }
    }

    private static String describe(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause.getMessage() == null)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof ConnectException) {
            return "connection refused";
        }
        if (cause instanceof HttpTimeoutException) {
            return "no answer in time";
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    @Override
    public InputStatus status() {
        return counters.status();
    }

    /** Stops scraping; once it returns, no reading of this endpoint reaches the sink. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true; // a scrape handing over its readings finishes first
        }
        scheduler.shutdownNow();
        inFlight.cancel(true);
        counters.finished();
    }
}
