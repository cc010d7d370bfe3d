package dev.substrate.local.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/**
 * The row count and an order-free checksum of a lake table's current rows: the sum of a 64-bit hash
 * of each row's canonical text. Rows moved between files (compaction) or read by another engine
 * give the same checksum; a row lost, repeated or changed gives another.
 *
 * <p>Canonical text, so that any engine can compute it: values of a row joined by U+001F in column
 * order; null {@code null}; integers and decimals in decimal; floating point as the Java {@code
 * double} text (a {@code float} widened first); timestamps in microseconds since the epoch, dates
 * in days; binary in lower-case hex; lists {@code [a,b]}, maps {@code {k=v,...}} sorted by key
 * text, structs {@code (a,b)}. The hash is the first 8 bytes (big-endian) of the text's SHA-256.
 *
 * @param rows rows in the table's current snapshot
 * @param checksum the sum of the rows' hashes, as 16 hex digits
 */
public record LakeChecksum(long rows, String checksum) {

    /** Reads every row of {@code table}'s current snapshot. */
    public static LakeChecksum of(Table table) {
        table.refresh();
        if (table.currentSnapshot() == null) {
            return new LakeChecksum(0, hex(0));
        }
        MessageDigest sha = sha256();
        long rows = 0;
        long sum = 0;
        try (CloseableIterable<Record> read = IcebergGenerics.read(table).build()) {
            for (Record row : read) {
                rows++;
                sum += rowHash(sha, canonicalRow(row));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read lake table " + table.name(), e);
        }
        return new LakeChecksum(rows, hex(sum));
    }

    /** The 64-bit hash of one row's canonical text. */
    public static long rowHash(MessageDigest sha, String canonicalRow) {
        byte[] digest = sha.digest(canonicalRow.getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(digest, 0, 8).getLong();
    }

    static String canonicalRow(Record row) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < row.size(); i++) {
            if (i > 0) {
                text.append('\u001f');
            }
            text.append(canonical(row.get(i)));
        }
        return text.toString();
    }

    static String canonical(Object value) {
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
        if (value instanceof OffsetDateTime time) {
            return Long.toString(micros(time.toInstant()));
        }
        if (value instanceof LocalDateTime time) {
            return Long.toString(micros(time.toInstant(ZoneOffset.UTC)));
        }
        if (value instanceof LocalDate date) {
            return Long.toString(date.toEpochDay());
        }
        if (value instanceof LocalTime time) {
            return Long.toString(time.toNanoOfDay() / 1_000);
        }
        if (value instanceof ByteBuffer bytes) {
            ByteBuffer copy = bytes.duplicate();
            byte[] array = new byte[copy.remaining()];
            copy.get(array);
            return HexFormat.of().formatHex(array);
        }
        if (value instanceof byte[] array) {
            return HexFormat.of().formatHex(array);
        }
        if (value instanceof List<?> list) {
            StringBuilder text = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                text.append(i > 0 ? "," : "").append(canonical(list.get(i)));
            }
            return text.append(']').toString();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, String> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(canonical(k), canonical(v)));
            StringBuilder text = new StringBuilder("{");
            sorted.forEach(
                    (k, v) ->
                            text.append(text.length() > 1 ? "," : "")
                                    .append(k)
                                    .append('=')
                                    .append(v));
            return text.append('}').toString();
        }
        if (value instanceof Record struct) {
            StringBuilder text = new StringBuilder("(");
            for (int i = 0; i < struct.size(); i++) {
                text.append(i > 0 ? "," : "").append(canonical(struct.get(i)));
            }
            return text.append(')').toString();
        }
        return value.toString();
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }

    private static String hex(long sum) {
        return String.format("%016x", sum);
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM has SHA-256", e);
        }
    }
}
