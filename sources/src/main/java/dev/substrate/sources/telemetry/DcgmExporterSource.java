package dev.substrate.sources.telemetry;

import dev.substrate.events.GpuSample;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A Flink source (FLIP-27) that scrapes NVIDIA dcgm-exporter {@code /metrics} endpoints at a fixed
 * interval and emits one {@link GpuSample} per GPU per scrape ({@link DcgmMetricsParser}).
 *
 * <pre>{@code
 * DcgmExporterSource source = DcgmExporterSource.builder()
 *         .endpoint(URI.create("http://n001:9400/metrics"), "us-east-1", "use1-h100-a")
 *         .endpoint(URI.create("http://n002:9400/metrics"), "us-east-1", "use1-h100-a")
 *         .interval(Duration.ofSeconds(15))
 *         .build();
 * env.fromSource(source, TelemetryWindows.watermarks(config), "dcgm-exporter");
 * }</pre>
 *
 * <p>Each endpoint is one split; endpoint {@code i} is scraped by subtask {@code i % parallelism}.
 * Unbounded unless {@link Builder#maxScrapes} is set.
 */
public final class DcgmExporterSource
        implements Source<GpuSample, DcgmEndpointSplit, List<DcgmEndpointSplit>> {

    private static final long serialVersionUID = 1L;

    private final List<DcgmEndpointSplit> endpoints;
    private final Duration interval;
    private final Duration timeout;
    private final long maxScrapes;

    private DcgmExporterSource(
            List<DcgmEndpointSplit> endpoints,
            Duration interval,
            Duration timeout,
            long maxScrapes) {
        this.endpoints = List.copyOf(endpoints);
        this.interval = interval;
        this.timeout = timeout;
        this.maxScrapes = maxScrapes;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Boundedness getBoundedness() {
        return maxScrapes > 0 ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<GpuSample, DcgmEndpointSplit> createReader(SourceReaderContext context) {
        return new DcgmScrapeReader(context, interval, timeout, maxScrapes);
    }

    @Override
    public SplitEnumerator<DcgmEndpointSplit, List<DcgmEndpointSplit>> createEnumerator(
            SplitEnumeratorContext<DcgmEndpointSplit> context) {
        return new StaticSplitEnumerator<>(context, endpoints);
    }

    @Override
    public SplitEnumerator<DcgmEndpointSplit, List<DcgmEndpointSplit>> restoreEnumerator(
            SplitEnumeratorContext<DcgmEndpointSplit> context, List<DcgmEndpointSplit> pending) {
        return new StaticSplitEnumerator<>(context, pending);
    }

    @Override
    public SimpleVersionedSerializer<DcgmEndpointSplit> getSplitSerializer() {
        return DcgmEndpointSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<List<DcgmEndpointSplit>> getEnumeratorCheckpointSerializer() {
        return new SplitListSerializer<>(DcgmEndpointSplitSerializer.INSTANCE);
    }

    /** Builds a {@link DcgmExporterSource}. */
    public static final class Builder {
        private final List<DcgmEndpointSplit> endpoints = new ArrayList<>();
        private Duration interval = Duration.ofSeconds(15);
        private Duration timeout = Duration.ofSeconds(5);
        private long maxScrapes;

        private Builder() {}

        /**
         * Adds an endpoint of a node in {@code cluster}; the node name comes from the series'
         * {@code Hostname} label, else from the URL's host.
         */
        public Builder endpoint(URI metricsUrl, String region, String cluster) {
            Objects.requireNonNull(metricsUrl, "metricsUrl");
            String host =
                    metricsUrl.getHost() == null ? metricsUrl.toString() : metricsUrl.getHost();
            endpoints.add(
                    new DcgmEndpointSplit(
                            endpoints.size(), metricsUrl.toString(), region, cluster, host, 0));
            return this;
        }

        /** How often each endpoint is scraped; default 15 s (Prometheus' usual interval). */
        public Builder interval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be positive: " + interval);
            }
            this.interval = interval;
            return this;
        }

        /** Connect and response timeout of one scrape; default 5 s. */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Stop after this many successful scrapes per endpoint (a bounded source); 0 = never. */
        public Builder maxScrapes(long maxScrapes) {
            if (maxScrapes < 0) {
                throw new IllegalArgumentException("maxScrapes must be >= 0: " + maxScrapes);
            }
            this.maxScrapes = maxScrapes;
            return this;
        }

        public DcgmExporterSource build() {
            if (endpoints.isEmpty()) {
                throw new IllegalStateException("Add at least one dcgm-exporter endpoint");
            }
            return new DcgmExporterSource(endpoints, interval, timeout, maxScrapes);
        }
    }
}
