package dev.substrate.sources.telemetry;

import java.io.Serializable;
import java.util.Objects;

/**
 * One dcgm-exporter endpoint to scrape and how many scrapes of it are done.
 *
 * @param index position among the source's endpoints
 * @param url the {@code /metrics} URL, e.g. {@code http://n001:9400/metrics}
 * @param region, cluster where the endpoint's node lives
 * @param defaultNode the node when the series carry no {@code Hostname} label
 * @param scrapesDone scrapes emitted so far (a bounded source stops at its maximum)
 */
public record DcgmEndpointSplit(
        int index, String url, String region, String cluster, String defaultNode, long scrapesDone)
        implements IndexedSplit, Serializable {

    public DcgmEndpointSplit {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(defaultNode, "defaultNode");
    }

    @Override
    public String splitId() {
        return index + ":" + url;
    }

    DcgmEndpointSplit withScrapesDone(long done) {
        return new DcgmEndpointSplit(index, url, region, cluster, defaultNode, done);
    }
}
