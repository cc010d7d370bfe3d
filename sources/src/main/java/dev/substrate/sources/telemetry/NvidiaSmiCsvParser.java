package dev.substrate.sources.telemetry;

import dev.substrate.events.GpuSample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.annotation.Nullable;

/**
 * Reads the output of {@code nvidia-smi --query-gpu=... --format=csv} (with or without {@code
 * nounits}) into {@link GpuSample} records.
 *
 * <p>Columns are found by name, in any order, with or without units in the header ({@code
 * power.draw [W]} or {@code power.draw}); values may carry units ({@code 130.30 W}). Required
 * columns: {@code timestamp, uuid, utilization.gpu, memory.used, memory.total, temperature.gpu,
 * power.draw}. Optional ones: {@code name, index, pstate, utilization.memory, temperature.memory,
 * power.limit, clocks.current.sm, clocks.current.memory, clocks_event_reasons.active,
 * ecc.errors.corrected.volatile.total, ecc.errors.uncorrected.volatile.total} (older names such as
 * {@code clocks.sm} and {@code clocks_throttle_reasons.active} are accepted too).
 *
 * <p>Values nvidia-smi cannot give ({@code [N/A]}, {@code [Not Supported]}) become null in nullable
 * fields, NaN in the measured doubles (so quality rules see them as missing, not as zero) and 0 in
 * counters and clocks. Timestamps ({@code 2026/11/26 21:28:39.826}) are read in UTC unless another
 * zone is given. Region, cluster and node come from the caller; nvidia-smi does not know them.
 */
public final class NvidiaSmiCsvParser {

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss[.SSS]", Locale.ROOT);

    private static final Set<String> NOT_AVAILABLE =
            Set.of("", "n/a", "[n/a]", "not supported", "[not supported]", "[unknown error]");

    /** Canonical column names and the other names nvidia-smi versions use for them. */
    private static final Map<String, String> ALIASES = aliases();

    private static final List<String> REQUIRED =
            List.of(
                    "timestamp",
                    "uuid",
                    "utilization.gpu",
                    "memory.used",
                    "memory.total",
                    "temperature.gpu",
                    "power.draw");

    /**
     * Every field this parser reads, in the order of the {@code --query-gpu} list that {@code
     * substrate collect} gives nvidia-smi ({@link #queryGpuArgument()}).
     */
    public static final List<String> QUERY_GPU_FIELDS =
            List.of(
                    "timestamp",
                    "name",
                    "uuid",
                    "index",
                    "pstate",
                    "utilization.gpu",
                    "utilization.memory",
                    "memory.used",
                    "memory.total",
                    "temperature.gpu",
                    "temperature.memory",
                    "power.draw",
                    "power.limit",
                    "clocks.current.sm",
                    "clocks.current.memory",
                    "clocks_event_reasons.active",
                    "ecc.errors.corrected.volatile.total",
                    "ecc.errors.uncorrected.volatile.total");

    private final String region;
    private final String cluster;
    private final String node;
    private final ZoneId zone;

    /** A parser for readings of one node; timestamps are read as UTC. */
    public NvidiaSmiCsvParser(String region, String cluster, String node) {
        this(region, cluster, node, ZoneOffset.UTC);
    }

    /** A parser for readings of one node whose nvidia-smi prints timestamps in {@code zone}. */
    public NvidiaSmiCsvParser(String region, String cluster, String node, ZoneId zone) {
        this.region = Objects.requireNonNull(region, "region");
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.node = Objects.requireNonNull(node, "node");
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    /** {@link #QUERY_GPU_FIELDS} as nvidia-smi's {@code --query-gpu=} value (comma-separated). */
    public static String queryGpuArgument() {
        return String.join(",", QUERY_GPU_FIELDS);
    }

    /** Parses a whole CSV file (header first). */
    public List<GpuSample> parse(Path csv) throws IOException {
        try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            return parse(reader);
        }
    }

    /**
     * Parses CSV text: the header line, then one reading per line. Blank lines are skipped, and so
     * are repeated header lines (nvidia-smi {@code -l} prints none, but concatenated captures do).
     *
     * @throws NvidiaSmiFormatException naming the line and column of the first bad value
     */
    public List<GpuSample> parse(Reader reader) throws IOException {
        BufferedReader lines =
                reader instanceof BufferedReader
                        ? (BufferedReader) reader
                        : new BufferedReader(reader);
        List<GpuSample> samples = new ArrayList<>();
        RowParser rows = null;
        long lineNumber = 0;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            if (rows == null) {
                rows = forHeader(line, lineNumber);
            } else if (!rows.isHeader(line)) {
                samples.add(rows.parse(line, lineNumber));
            }
        }
        if (rows == null) {
            throw new NvidiaSmiFormatException(0, "no header line: the input is empty");
        }
        return samples;
    }

    /**
     * A parser of data lines for the given header line, for reading nvidia-smi's output line by
     * line as it is written.
     */
    public RowParser forHeader(String headerLine) {
        return forHeader(headerLine, 1);
    }

    private RowParser forHeader(String headerLine, long lineNumber) {
        String[] names = split(headerLine);
        Map<String, Integer> columns = new HashMap<>();
        for (int i = 0; i < names.length; i++) {
            String canonical = canonicalColumn(names[i]);
            columns.putIfAbsent(canonical, i);
        }
        List<String> missing = new ArrayList<>();
        for (String required : REQUIRED) {
            if (!columns.containsKey(required)) {
                missing.add(required);
            }
        }
        if (!missing.isEmpty()) {
            throw new NvidiaSmiFormatException(
                    lineNumber,
                    "the header lacks the column(s) "
                            + String.join(", ", missing)
                            + "; add them to nvidia-smi --query-gpu=... (header was: "
                            + headerLine
                            + ")");
        }
        return new RowParser(columns, names);
    }

    /** Parses the data lines of one header; holds no state between lines. */
    public final class RowParser {
        private final Map<String, Integer> columns;
        private final List<String> header;
        private final int width;

        private RowParser(Map<String, Integer> columns, String[] header) {
            this.columns = columns;
            this.header = List.of(header);
            this.width = header.length;
        }

        /** Whether {@code line} repeats the header (captures that were concatenated do). */
        public boolean isHeader(String line) {
            return List.of(split(line)).equals(header);
        }

        /** Parses one data line. */
        public GpuSample parse(String line) {
            return parse(line, 0);
        }

        GpuSample parse(String line, long lineNumber) {
            String[] values = split(line);
            if (values.length != width) {
                throw new NvidiaSmiFormatException(
                        lineNumber,
                        "expected "
                                + width
                                + " comma-separated values as in the header, found "
                                + values.length);
            }
            Row row = new Row(values, lineNumber);
            Instant timestamp = row.timestamp();
            String uuid = row.text("uuid");
            if (uuid == null) {
                throw new NvidiaSmiFormatException(lineNumber, "column uuid is empty");
            }
            return GpuSample.newBuilder()
                    .setEventId(GpuSampleIds.eventId(uuid, timestamp))
                    .setTimestamp(timestamp)
                    .setRegion(region)
                    .setCluster(cluster)
                    .setNode(node)
                    .setGpuUuid(uuid)
                    .setGpuIndex((int) row.integer("index"))
                    .setModel(Objects.requireNonNullElse(row.text("name"), "unknown"))
                    .setUtilizationPct(row.measured("utilization.gpu"))
                    .setMemoryUtilizationPct(row.measured("utilization.memory"))
                    .setMemoryUsedMib(row.integer("memory.used"))
                    .setMemoryTotalMib(row.integer("memory.total"))
                    .setTemperatureC(row.measured("temperature.gpu"))
                    .setMemoryTemperatureC(row.optional("temperature.memory"))
                    .setPowerDrawW(row.measured("power.draw"))
                    .setSmClockMhz((int) row.integer("clocks.current.sm"))
                    .setMemoryClockMhz((int) row.integer("clocks.current.memory"))
                    .setClockEventReasons(row.integer("clocks_event_reasons.active"))
                    .setEccCorrected(row.integer("ecc.errors.corrected.volatile.total"))
                    .setEccUncorrected(row.integer("ecc.errors.uncorrected.volatile.total"))
                    .setXid(0)
                    .setPstate(row.text("pstate"))
                    .setPowerLimitW(row.optional("power.limit"))
                    .setMigProfile(null)
                    .build();
        }

        /** The values of one line, looked up by canonical column name. */
        private final class Row {
            private final String[] values;
            private final long lineNumber;

            Row(String[] values, long lineNumber) {
                this.values = values;
                this.lineNumber = lineNumber;
            }

            @Nullable
            String text(String column) {
                Integer index = columns.get(column);
                if (index == null) {
                    return null;
                }
                String value = values[index];
                return NOT_AVAILABLE.contains(value.toLowerCase(Locale.ROOT)) ? null : value;
            }

            Instant timestamp() {
                String value = text("timestamp");
                if (value == null) {
                    throw new NvidiaSmiFormatException(lineNumber, "column timestamp is empty");
                }
                try {
                    return LocalDateTime.parse(value, TIMESTAMP)
                            .atZone(zone)
                            .toInstant()
                            .truncatedTo(ChronoUnit.MILLIS);
                } catch (DateTimeParseException e) {
                    throw new NvidiaSmiFormatException(
                            lineNumber,
                            "column timestamp: '"
                                    + value
                                    + "' is not a time like 2026/11/26 21:28:39.826",
                            e);
                }
            }

            /** A measured value; NaN when nvidia-smi could not measure it. */
            double measured(String column) {
                Double value = optional(column);
                return value == null ? Double.NaN : value;
            }

            @Nullable
            Double optional(String column) {
                String value = numberText(column);
                if (value == null) {
                    return null;
                }
                try {
                    return Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    throw notANumber(column, e);
                }
            }

            /** A counter, clock or bitmask ({@code 0x...} hexadecimal accepted); 0 when absent. */
            long integer(String column) {
                String value = numberText(column);
                if (value == null) {
                    return 0;
                }
                try {
                    if (value.startsWith("0x") || value.startsWith("0X")) {
                        return Long.parseUnsignedLong(value.substring(2), 16);
                    }
                    return Math.round(Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    throw notANumber(column, e);
                }
            }

            /** The value without a unit suffix such as " W" or " MiB". */
            @Nullable
            private String numberText(String column) {
                String value = text(column);
                if (value == null) {
                    return null;
                }
                int space = value.indexOf(' ');
                return space < 0 ? value : value.substring(0, space);
            }

            private NvidiaSmiFormatException notANumber(String column, Exception cause) {
                return new NvidiaSmiFormatException(
                        lineNumber,
                        "column "
                                + column
                                + ": '"
                                + values[columns.get(column)]
                                + "' is not a number",
                        cause);
            }
        }
    }

    private static String[] split(String line) {
        String[] parts = line.split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            parts[i] = parts[i].trim();
        }
        return parts;
    }

    /** {@code " Power.Draw [W]"} becomes {@code "power.draw"}, aliases their canonical name. */
    static String canonicalColumn(String header) {
        String name = header.trim().toLowerCase(Locale.ROOT);
        int unit = name.indexOf('[');
        if (unit >= 0) {
            name = name.substring(0, unit).trim();
        }
        return ALIASES.getOrDefault(name, name);
    }

    private static Map<String, String> aliases() {
        Map<String, String> aliases = new LinkedHashMap<>();
        aliases.put("gpu_name", "name");
        aliases.put("gpu_uuid", "uuid");
        aliases.put("power.draw.instant", "power.draw");
        aliases.put("power.draw.average", "power.draw");
        aliases.put("enforced.power.limit", "power.limit");
        aliases.put("clocks.sm", "clocks.current.sm");
        aliases.put("clocks.mem", "clocks.current.memory");
        aliases.put("clocks.memory", "clocks.current.memory");
        aliases.put("clocks_throttle_reasons.active", "clocks_event_reasons.active");
        return Map.copyOf(aliases);
    }
}
