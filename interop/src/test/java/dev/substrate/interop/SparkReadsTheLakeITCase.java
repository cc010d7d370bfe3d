package dev.substrate.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another engine reads the lake: a local run ({@code substrate local --events}, child JVM) writes
 * every table, {@code substrate lake stats --checksum} reads each through Iceberg's Java API, and
 * Apache Spark in local mode reads each through the same JDBC catalog (the SQLite {@code
 * catalog.db} of the data directory), as the README shows. Row counts and checksums must agree,
 * table by table.
 */
class SparkReadsTheLakeITCase {

    private static final Pattern STATS =
            Pattern.compile("^(\\S+) rows=(\\d+) .* checksum=([0-9a-f]{16})$");

    @TempDir Path dataDir;

    @Test
    void sparkReadsEveryTableWithTheSameRowsAsIceberg() throws Exception {
        String run =
                substrate(
                        "local",
                        "--data-dir",
                        dataDir.toString(),
                        "--kafka-port",
                        "0",
                        "--registry-port",
                        "0",
                        "--web-ui-port",
                        "0",
                        "--events",
                        "3000");
        assertThat(run).contains("Audit:");

        Map<String, String[]> java = new LinkedHashMap<>();
        for (String line :
                substrate("lake", "stats", "--data-dir", dataDir.toString(), "--checksum")
                        .split("\n")) {
            Matcher m = STATS.matcher(line.trim());
            if (m.matches()) {
                java.put(m.group(1), new String[] {m.group(2), m.group(3)});
            }
        }
        assertThat(java).containsKeys("gpu_samples", "dead_letters", "quality_report");
        assertThat(Long.parseLong(java.get("gpu_samples")[0])).isGreaterThan(100);

        SparkSession spark =
                SparkSession.builder()
                        .master("local[1]")
                        .appName("substrate-interop")
                        .config("spark.ui.enabled", "false")
                        .config("spark.driver.host", "127.0.0.1")
                        .config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.sql.shuffle.partitions", "1")
                        .config("spark.sql.datetime.java8API.enabled", "true")
                        .config("spark.sql.session.timeZone", "UTC")
                        .config(
                                "spark.sql.extensions",
                                "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
                        .config(
                                "spark.sql.catalog.substrate",
                                "org.apache.iceberg.spark.SparkCatalog")
                        .config("spark.sql.catalog.substrate.type", "jdbc")
                        .config(
                                "spark.sql.catalog.substrate.uri",
                                "jdbc:sqlite:" + dataDir.resolve("catalog.db"))
                        .config("spark.sql.catalog.substrate.jdbc.schema-version", "V1")
                        .config(
                                "spark.sql.catalog.substrate.warehouse",
                                dataDir.resolve("warehouse").toString())
                        .getOrCreate();
        try {
            List<String> sparkTables = new ArrayList<>();
            for (Row row : spark.sql("SHOW TABLES IN substrate.substrate").collectAsList()) {
                sparkTables.add(row.getString(1));
            }
            assertThat(sparkTables).containsExactlyInAnyOrderElementsOf(java.keySet());

            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String[]> table : java.entrySet()) {
                long rows = 0;
                long sum = 0;
                Iterator<Row> read =
                        spark.table("substrate.substrate." + table.getKey()).toLocalIterator();
                while (read.hasNext()) {
                    rows++;
                    sum += rowHash(sha, canonicalRow(read.next()));
                }
                assertThat(rows)
                        .as("rows of %s", table.getKey())
                        .isEqualTo(Long.parseLong(table.getValue()[0]));
                assertThat(String.format("%016x", sum))
                        .as("checksum of %s", table.getKey())
                        .isEqualTo(table.getValue()[1]);
            }
        } finally {
            spark.stop();
        }
    }

    /** The same canonical text as the lake's Java checksum (LakeChecksum), from Spark's values. */
    private static String canonicalRow(Row row) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < row.size(); i++) {
            if (i > 0) {
                text.append('\u001f');
            }
            text.append(canonical(row.get(i)));
        }
        return text.toString();
    }

    private static String canonical(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Float || value instanceof Double) {
            return Double.toString(((Number) value).doubleValue());
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        if (value instanceof Number number) {
            return Long.toString(number.longValue());
        }
        if (value instanceof Instant instant) {
            return Long.toString(instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000);
        }
        if (value instanceof LocalDateTime time) {
            return canonical(time.toInstant(ZoneOffset.UTC));
        }
        if (value instanceof LocalDate date) {
            return Long.toString(date.toEpochDay());
        }
        if (value instanceof byte[] bytes) {
            return HexFormat.of().formatHex(bytes);
        }
        if (value instanceof scala.collection.Seq<?> seq) {
            StringBuilder text = new StringBuilder("[");
            scala.collection.Iterator<?> it = seq.iterator();
            for (int i = 0; it.hasNext(); i++) {
                text.append(i > 0 ? "," : "").append(canonical(it.next()));
            }
            return text.append(']').toString();
        }
        if (value instanceof scala.collection.Map<?, ?> map) {
            Map<String, String> sorted = new TreeMap<>();
            scala.collection.Iterator<? extends scala.Tuple2<?, ?>> it = map.iterator();
            while (it.hasNext()) {
                scala.Tuple2<?, ?> entry = it.next();
                sorted.put(canonical(entry._1()), canonical(entry._2()));
            }
            StringBuilder text = new StringBuilder("{");
            sorted.forEach(
                    (k, v) ->
                            text.append(text.length() > 1 ? "," : "")
                                    .append(k)
                                    .append('=')
                                    .append(v));
            return text.append('}').toString();
        }
        if (value instanceof Row struct) {
            StringBuilder text = new StringBuilder("(");
            for (int i = 0; i < struct.size(); i++) {
                text.append(i > 0 ? "," : "").append(canonical(struct.get(i)));
            }
            return text.append(')').toString();
        }
        return value.toString();
    }

    private static long rowHash(MessageDigest sha, String canonicalRow) {
        byte[] digest = sha.digest(canonicalRow.getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(digest, 0, 8).getLong();
    }

    /**
     * Runs the {@code substrate} command in a child JVM, as the script does; returns its output.
     */
    private static String substrate(String... args) throws IOException, InterruptedException {
        String classes = System.getProperty("substrate.local.classes");
        String classpath =
                Files.readString(Path.of(System.getProperty("substrate.local.classpath"))).trim();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx768m");
        command.add("-XX:+UseSerialGC");
        command.addAll(List.of(System.getProperty("substrate.jvm.opens").trim().split("\\s+")));
        command.add("-cp");
        command.add(classes + java.io.File.pathSeparator + classpath);
        command.add("dev.substrate.local.cli.SubstrateCli");
        command.addAll(List.of(args));
        Path log = Files.createTempFile("substrate-", ".out");
        Process process =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!process.waitFor(4, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError(
                    "substrate "
                            + String.join(" ", args)
                            + " did not end: "
                            + Files.readString(log));
        }
        String output = Files.readString(log);
        Files.delete(log);
        assertThat(process.exitValue())
                .as("substrate %s printed:%n%s", String.join(" ", args), output)
                .isZero();
        return output;
    }
}
