package dev.substrate.sources.telemetry;

import dev.substrate.events.GpuSample;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes the dcgm-exporter endpoints assigned to it every interval, asynchronously (the task
 * thread never waits on the network), and emits one reading per GPU per successful scrape. A failed
 * scrape (unreachable, timeout, non-200) is logged, counted in {@code dcgmScrapeErrors} and retried
 * at the next interval.
 */
final class DcgmScrapeReader implements SourceReader<GpuSample, DcgmEndpointSplit> {

    private static final Logger LOG = LoggerFactory.getLogger(DcgmScrapeReader.class);

    private final Duration interval;
    private final Duration timeout;
    private final long maxScrapes;
    private final Counter scrapeErrors;
    private final List<Endpoint> endpoints = new ArrayList<>();
    @Nullable private HttpClient client;
    private boolean noMoreSplits;
    private CompletableFuture<Void> available = new CompletableFuture<>();

    DcgmScrapeReader(
            SourceReaderContext context, Duration interval, Duration timeout, long maxScrapes) {
        this.interval = interval;
        this.timeout = timeout;
        this.maxScrapes = maxScrapes;
        this.scrapeErrors = context.metricGroup().counter("dcgmScrapeErrors");
    }

    @Override
    public void start() {
        client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<GpuSample> output) {
        long now = System.currentTimeMillis();
        int emitted = 0;
        long nextWake = Long.MAX_VALUE;
        for (Endpoint endpoint : endpoints) {
            emitted += endpoint.collect(output, now);
            endpoint.maybeStart(now);
            if (endpoint.inFlight == null && !endpoint.done()) {
                nextWake = Math.min(nextWake, endpoint.nextScrapeAt);
            }
        }
        endpoints.removeIf(e -> e.done() && e.inFlight == null);
        if (emitted > 0) {
            return InputStatus.MORE_AVAILABLE;
        }
        if (endpoints.isEmpty() && noMoreSplits) {
            return InputStatus.END_OF_INPUT;
        }
        if (available.isDone()) {
            available = new CompletableFuture<>();
            CompletableFuture<Void> wake = available;
            for (Endpoint endpoint : endpoints) {
                if (endpoint.inFlight != null) {
                    endpoint.inFlight.whenComplete((r, e) -> wake.complete(null));
                }
            }
            if (nextWake != Long.MAX_VALUE) {
                CompletableFuture.delayedExecutor(
                                Math.max(1, nextWake - now), TimeUnit.MILLISECONDS)
                        .execute(() -> wake.complete(null));
            }
        }
        return InputStatus.NOTHING_AVAILABLE;
    }

    @Override
    public List<DcgmEndpointSplit> snapshotState(long checkpointId) {
        List<DcgmEndpointSplit> state = new ArrayList<>(endpoints.size());
        for (Endpoint endpoint : endpoints) {
            state.add(endpoint.split.withScrapesDone(endpoint.scrapesDone));
        }
        return state;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return available;
    }

    @Override
    public void addSplits(List<DcgmEndpointSplit> splits) {
        for (DcgmEndpointSplit split : splits) {
            endpoints.add(new Endpoint(split));
        }
        available.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        available.complete(null);
    }

    @Override
    public void close() {
        for (Endpoint endpoint : endpoints) {
            if (endpoint.inFlight != null) {
                endpoint.inFlight.cancel(true);
            }
        }
        available.complete(null);
    }

    /** The scrape schedule of one endpoint. */
    private final class Endpoint {
        final DcgmEndpointSplit split;
        final DcgmMetricsParser parser;
        final HttpRequest request;
        long scrapesDone;
        long nextScrapeAt;
        long failures;
        @Nullable CompletableFuture<HttpResponse<String>> inFlight;
        Instant startedAt = Instant.EPOCH;

        Endpoint(DcgmEndpointSplit split) {
            this.split = split;
            this.parser =
                    new DcgmMetricsParser(split.region(), split.cluster(), split.defaultNode());
            this.request =
                    HttpRequest.newBuilder(URI.create(split.url()))
                            .timeout(timeout)
                            .header("Accept", "text/plain")
                            .GET()
                            .build();
            this.scrapesDone = split.scrapesDone();
        }

        boolean done() {
            return maxScrapes > 0 && scrapesDone >= maxScrapes;
        }

        void maybeStart(long now) {
            if (inFlight != null || done() || now < nextScrapeAt || client == null) {
                return;
            }
            startedAt = Instant.ofEpochMilli(now);
            // Schedule from the planned time, not the finish, so scrapes do not drift; after a
            // stall longer than an interval, start a fresh cadence instead of scraping in a burst.
            long planned = nextScrapeAt == 0 ? now : nextScrapeAt;
            nextScrapeAt = planned + interval.toMillis();
            if (nextScrapeAt <= now) {
                nextScrapeAt = now + interval.toMillis();
            }
            inFlight = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        }

        int collect(ReaderOutput<GpuSample> output, long now) {
            if (inFlight == null || !inFlight.isDone()) {
                return 0;
            }
            CompletableFuture<HttpResponse<String>> done = inFlight;
            inFlight = null;
            HttpResponse<String> response;
            try {
                response = done.join();
            } catch (RuntimeException e) {
                failed(e.getCause() == null ? e.toString() : e.getCause().toString());
                return 0;
            }
            if (response.statusCode() != 200) {
                failed("HTTP " + response.statusCode());
                return 0;
            }
            scrapesDone++;
            List<GpuSample> samples = parser.parse(response.body(), startedAt);
            for (GpuSample sample : samples) {
                output.collect(sample, sample.getTimestamp().toEpochMilli());
            }
            return samples.size();
        }

        private void failed(String why) {
            scrapeErrors.inc();
            failures++;
            if (failures <= 5 || failures % 100 == 0) {
                LOG.warn(
                        "Scrape {} of {} failed ({} failures so far): {}; retrying in {}",
                        scrapesDone + 1,
                        split.url(),
                        failures,
                        why,
                        interval);
            }
        }
    }
}
