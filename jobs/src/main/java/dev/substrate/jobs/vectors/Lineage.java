package dev.substrate.jobs.vectors;

import java.time.Instant;

/**
 * Row predicates for a document's lineage, in SQL as Iceberg engines (Spark, Trino, Flink SQL) read
 * it: paste one after {@code WHERE} to find the row a document was made from.
 */
final class Lineage {

    private Lineage() {}

    /** {@code column = 'value'}, the value's quotes doubled. */
    static String equals(String column, String value) {
        return column + " = '" + value.replace("'", "''") + "'";
    }

    /** {@code column = TIMESTAMP '2026-11-26 10:00:05.123'} (UTC). */
    static String at(String column, Instant time) {
        return column + " = TIMESTAMP '" + time.toString().replace('T', ' ').replace("Z", "") + "'";
    }

    static String and(String... predicates) {
        return String.join(" AND ", predicates);
    }
}
