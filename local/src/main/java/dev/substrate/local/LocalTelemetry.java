package dev.substrate.local;

import dev.substrate.collector.GpuCollector;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.annotation.Nullable;

/**
 * Where a local run's GPU telemetry comes from: the synthetic fleet and the replayed H100 trace
 * (the default), or real readings published by {@code substrate collect}'s collector, started by
 * the run itself: {@code nvidia-smi} on this machine, DCGM exporter endpoints, or an nvidia-smi CSV
 * file.
 *
 * <pre>
 *   --telemetry nvidia-smi
 *   --telemetry dcgm=http://gpu-1:9400/metrics,http://gpu-2:9400/metrics
 *   --telemetry file=sample-data/nvidia-smi-h100-2026-11-26.csv
 * </pre>
 *
 * @param spec what the user asked for, for messages
 */
public record LocalTelemetry(Kind kind, @Nullable Path file, List<URI> endpoints, String spec) {

    /** Region, cluster and node of readings that carry no labels of their own. */
    static final String REGION = "us-east-1";

    static final String CLUSTER = "lab-h100";
    static final String NODE = "lab-h100-n001";

    /** The kinds of telemetry a local run can take. */
    public enum Kind {
        SYNTHETIC,
        NVIDIA_SMI,
        DCGM,
        FILE
    }

    public static LocalTelemetry synthetic() {
        return new LocalTelemetry(Kind.SYNTHETIC, null, List.of(), "synthetic");
    }

    public boolean real() {
        return kind != Kind.SYNTHETIC;
    }

    /**
     * Parses {@code nvidia-smi}, {@code dcgm=URL[,URL]} or {@code file=PATH}.
     *
     * @throws LocalRunException naming the forms that are understood
     */
    public static LocalTelemetry parse(String spec) {
        String trimmed = spec.trim();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (lower.equals("synthetic")) {
            return synthetic();
        }
        if (lower.equals("nvidia-smi")) {
            return new LocalTelemetry(Kind.NVIDIA_SMI, null, List.of(), trimmed);
        }
        if (lower.startsWith("dcgm=")) {
            List<URI> endpoints = new ArrayList<>();
            for (String url : trimmed.substring(5).split(",")) {
                if (url.isBlank()) {
                    continue;
                }
                try {
                    URI uri = URI.create(url.trim());
                    if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
                        throw new IllegalArgumentException("not an http(s) URL");
                    }
                    endpoints.add(uri);
                } catch (IllegalArgumentException e) {
                    throw new LocalRunException(
                            "--telemetry "
                                    + spec
                                    + ": '"
                                    + url
                                    + "' is not a DCGM exporter URL ("
                                    + e.getMessage()
                                    + "), e.g. http://gpu-node:9400/metrics.");
                }
            }
            if (endpoints.isEmpty()) {
                throw new LocalRunException(
                        "--telemetry "
                                + spec
                                + ": name at least one DCGM exporter URL, e.g."
                                + " dcgm=http://gpu-node:9400/metrics.");
            }
            return new LocalTelemetry(Kind.DCGM, null, List.copyOf(endpoints), trimmed);
        }
        if (lower.startsWith("file=") && trimmed.length() > 5) {
            return new LocalTelemetry(Kind.FILE, Path.of(trimmed.substring(5)), List.of(), trimmed);
        }
        throw new LocalRunException(
                "--telemetry "
                        + spec
                        + " is not understood: use nvidia-smi, dcgm=URL[,URL] or file=PATH (an"
                        + " nvidia-smi CSV capture).");
    }

    /**
     * A collector for this telemetry into the job's Kafka and registry; a file is read once for a
     * bounded run and followed (as {@code tail -F}) for a streaming one.
     */
    GpuCollector collector(String bootstrapServers, String registryUrl, boolean bounded) {
        GpuCollector.Builder builder =
                GpuCollector.builder()
                        .bootstrapServers(bootstrapServers)
                        .registry(
                                dev.substrate.schemas.registry.SchemaRegistryConfig.fromEnvironment(
                                        registryUrl));
        switch (kind) {
            case NVIDIA_SMI -> builder.labels(REGION, CLUSTER, null).nvidiaSmi("nvidia-smi");
            case DCGM -> {
                builder.labels(REGION, CLUSTER, null);
                endpoints.forEach(builder::dcgm);
            }
            case FILE -> builder.labels(REGION, CLUSTER, NODE).csvFile(file, !bounded);
            case SYNTHETIC ->
                    throw new IllegalStateException("synthetic telemetry needs no collector");
        }
        return builder.build();
    }
}
