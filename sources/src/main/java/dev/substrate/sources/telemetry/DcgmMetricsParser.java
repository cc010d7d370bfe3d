package dev.substrate.sources.telemetry;

import dev.substrate.events.GpuSample;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Turns one scrape of NVIDIA's dcgm-exporter ({@code GET /metrics}, Prometheus text format) into
 * one {@link GpuSample} per GPU: the series of all {@code DCGM_FI_DEV_*} metrics are grouped by
 * their {@code UUID} label (and {@code GPU_I_ID} under MIG).
 *
 * <pre>
 * # HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
 * # TYPE DCGM_FI_DEV_GPU_UTIL gauge
 * DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-…",pci_bus_id="…",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="n001",DCGM_FI_DRIVER_VERSION="535.183.01"} 97
 * </pre>
 *
 * <p>Labels: {@code gpu} → gpu_index, {@code UUID} → gpu_uuid, {@code modelName} → model, {@code
 * Hostname} → node (the configured node when absent), {@code GPU_I_PROFILE} → mig_profile. Metrics
 * the exporter was not configured to collect are NaN (measured values), null (optional values) or 0
 * (clocks, counters), as with nvidia-smi's {@code [N/A]}; so are DCGM's "blank" sentinel values
 * (e.g. 9223372036854775794 for a field the GPU does not support). A reading's time is the series'
 * own timestamp when the exporter wrote one, else the scrape time.
 */
public final class DcgmMetricsParser {

    /** DCGM_INT32_BLANK: int32 values from here up mean "no value". */
    private static final double INT32_BLANK = 0x7ffffff0;

    /** DCGM_FP64_BLANK (2^47): float values from here up mean "no value". */
    private static final double FP64_BLANK = 140737488355328.0;

    private final String region;
    private final String cluster;
    private final String defaultNode;

    /**
     * @param defaultNode the node when the series carry no {@code Hostname} label (e.g. the
     *     endpoint's host)
     */
    public DcgmMetricsParser(String region, String cluster, String defaultNode) {
        this.region = Objects.requireNonNull(region, "region");
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.defaultNode = Objects.requireNonNull(defaultNode, "defaultNode");
    }

    /**
     * Parses one scrape; series without a {@code UUID} label (the exporter's own metrics) are
     * ignored, and so are lines that are not valid Prometheus text.
     */
    public List<GpuSample> parse(String text, Instant scrapeTime) {
        Map<String, Gpu> gpus = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            Series series = Series.parse(line);
            if (series == null || !series.name.startsWith("DCGM_FI_")) {
                continue;
            }
            String uuid = series.labels.get("UUID");
            if (uuid == null || uuid.isEmpty()) {
                continue;
            }
            String instance = series.labels.get("GPU_I_ID");
            String key = instance == null ? uuid : uuid + "/" + instance;
            Gpu gpu = gpus.computeIfAbsent(key, k -> new Gpu(series.labels));
            gpu.values.put(series.name, series.value);
            if (series.timestampMs != null) {
                gpu.timestampMs = series.timestampMs;
            }
        }
        List<GpuSample> samples = new ArrayList<>(gpus.size());
        for (Gpu gpu : gpus.values()) {
            samples.add(toSample(gpu, scrapeTime));
        }
        return samples;
    }

    private GpuSample toSample(Gpu gpu, Instant scrapeTime) {
        Instant timestamp =
                gpu.timestampMs != null
                        ? Instant.ofEpochMilli(gpu.timestampMs)
                        : scrapeTime.truncatedTo(ChronoUnit.MILLIS);
        Map<String, String> labels = gpu.labels;
        String instance = labels.get("GPU_I_ID");
        String uuid = labels.get("UUID") + (instance == null ? "" : "/" + instance);
        Double fbUsed = gpu.value("DCGM_FI_DEV_FB_USED");
        Double fbTotal = gpu.value("DCGM_FI_DEV_FB_TOTAL");
        if (fbTotal == null && fbUsed != null) {
            Double free = gpu.value("DCGM_FI_DEV_FB_FREE");
            Double reserved = gpu.value("DCGM_FI_DEV_FB_RESERVED");
            fbTotal = free == null ? null : fbUsed + free + (reserved == null ? 0 : reserved);
        }
        Double reasons = gpu.value("DCGM_FI_DEV_CLOCKS_EVENT_REASONS");
        if (reasons == null) {
            reasons = gpu.value("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS");
        }
        Double power = gpu.value("DCGM_FI_DEV_POWER_USAGE");
        if (power == null) {
            power = gpu.value("DCGM_FI_DEV_POWER_USAGE_INSTANT");
        }
        Double limit = gpu.value("DCGM_FI_DEV_POWER_MGMT_LIMIT");
        if (limit == null) {
            limit = gpu.value("DCGM_FI_DEV_ENFORCED_POWER_LIMIT");
        }
        String node = labels.getOrDefault("Hostname", labels.get("hostname"));
        return GpuSample.newBuilder()
                .setEventId(GpuSampleIds.eventId(uuid, timestamp))
                .setTimestamp(timestamp)
                .setRegion(region)
                .setCluster(cluster)
                .setNode(node == null || node.isEmpty() ? defaultNode : node)
                .setGpuUuid(uuid)
                .setGpuIndex(parseIndex(labels.get("gpu")))
                .setModel(labels.getOrDefault("modelName", "unknown"))
                .setUtilizationPct(measured(gpu.value("DCGM_FI_DEV_GPU_UTIL")))
                .setMemoryUtilizationPct(measured(gpu.value("DCGM_FI_DEV_MEM_COPY_UTIL")))
                .setMemoryUsedMib(count(fbUsed))
                .setMemoryTotalMib(count(fbTotal))
                .setTemperatureC(measured(gpu.value("DCGM_FI_DEV_GPU_TEMP")))
                .setMemoryTemperatureC(gpu.value("DCGM_FI_DEV_MEMORY_TEMP"))
                .setPowerDrawW(measured(power))
                .setSmClockMhz((int) count(gpu.value("DCGM_FI_DEV_SM_CLOCK")))
                .setMemoryClockMhz((int) count(gpu.value("DCGM_FI_DEV_MEM_CLOCK")))
                .setClockEventReasons(count(reasons))
                .setEccCorrected(count(gpu.value("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL")))
                .setEccUncorrected(count(gpu.value("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL")))
                .setXid((int) count(gpu.value("DCGM_FI_DEV_XID_ERRORS")))
                .setPstate(null)
                .setPowerLimitW(limit)
                .setMigProfile(labels.get("GPU_I_PROFILE"))
                .build();
    }

    private static int parseIndex(@Nullable String gpu) {
        if (gpu == null) {
            return 0;
        }
        try {
            return Integer.parseInt(gpu.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static double measured(@Nullable Double value) {
        return value == null ? Double.NaN : value;
    }

    private static long count(@Nullable Double value) {
        return value == null ? 0 : Math.round(value);
    }

    /** The series of one GPU (or MIG instance) in one scrape. */
    private static final class Gpu {
        final Map<String, String> labels;
        final Map<String, Double> values = new HashMap<>();
        @Nullable Long timestampMs;

        Gpu(Map<String, String> labels) {
            this.labels = labels;
        }

        /** The metric's value, or null when absent, NaN or a DCGM blank. */
        @Nullable
        Double value(String metric) {
            Double v = values.get(metric);
            if (v == null || v.isNaN() || v.isInfinite() || isBlank(v)) {
                return null;
            }
            return v;
        }

        private static boolean isBlank(double v) {
            // Blank sentinels sit just below the type's maximum: int32 0x7ffffff0.., int64
            // 0x7ffffffffffffff0.., fp64 2^47..; no GPU metric reaches these.
            return (v >= INT32_BLANK && v <= Integer.MAX_VALUE) || v >= FP64_BLANK;
        }
    }

    /** One sample line of the Prometheus text format: name, labels, value, optional time. */
    private record Series(
            String name, Map<String, String> labels, double value, @Nullable Long timestampMs) {

        @Nullable
        static Series parse(String raw) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                return null;
            }
            int i = 0;
            int n = line.length();
            while (i < n && line.charAt(i) != '{' && !Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            String name = line.substring(0, i);
            Map<String, String> labels = new HashMap<>();
            if (i < n && line.charAt(i) == '{') {
                i = parseLabels(line, i + 1, labels);
                if (i < 0) {
                    return null;
                }
            }
            String[] rest = line.substring(i).strip().split("\\s+");
            if (rest.length == 0 || rest[0].isEmpty()) {
                return null;
            }
            try {
                double value = parseValue(rest[0]);
                Long ts = rest.length > 1 ? Long.parseLong(rest[1]) : null;
                return new Series(name, labels, value, ts);
            } catch (NumberFormatException e) {
                return null;
            }
        }

        /** Reads {@code a="x",b="y"} up to the closing brace; returns the index after it or -1. */
        private static int parseLabels(String line, int i, Map<String, String> labels) {
            int n = line.length();
            while (i < n) {
                while (i < n && (line.charAt(i) == ',' || line.charAt(i) == ' ')) {
                    i++;
                }
                if (i < n && line.charAt(i) == '}') {
                    return i + 1;
                }
                int eq = line.indexOf('=', i);
                if (eq < 0 || eq + 1 >= n || line.charAt(eq + 1) != '"') {
                    return -1;
                }
                String key = line.substring(i, eq).strip();
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; j < n; j++) {
                    char c = line.charAt(j);
                    if (c == '\\' && j + 1 < n) {
                        char next = line.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else if (c == '"') {
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (j >= n) {
                    return -1;
                }
                labels.put(key, value.toString());
                i = j + 1;
            }
            return -1;
        }

        private static double parseValue(String text) {
            return switch (text) {
                case "NaN" -> Double.NaN;
                case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                default -> Double.parseDouble(text);
            };
        }
    }
}
