package dev.substrate.vectors;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.annotation.Nullable;

/**
 * One retrievable document: what the pipeline learned, in words, with the metadata an agent filters
 * by and the lineage back to the lake row it was made from. Its id is deterministic (made from the
 * source record's identity), so writing it again replaces it instead of adding a copy.
 *
 * <pre>{@code
 * VectorDocument doc = VectorDocument.builder()
 *         .id("node-health:h100-a/n7@1764151205000:DRAIN")
 *         .kind("node-health")
 *         .text("Node n7 of cluster h100-a went from UP to DRAIN: xid 79 ...")
 *         .time(changedAt)
 *         .metadata("severity", "critical").metadata("cluster", "h100-a")
 *         .source("node_health", "cluster = 'h100-a' AND node = 'n7' AND changed_at = ...")
 *         .build();
 * }</pre>
 *
 * <p>A <em>deletion</em> ({@link #deletion(String)}) carries only an id: written to a store, it
 * removes the document with that id.
 *
 * @param id unique and deterministic; the store's key
 * @param kind what sort of document this is ({@code node-health}, {@code crm-event}, ...); null
 *     only for a deletion
 * @param text the words that are embedded and searched; null only for a deletion
 * @param time the event time of what the document tells
 * @param metadata filterable attributes (severity, region, cluster, tenant, node, ...), keys in
 *     {@code lower_snake_case}
 * @param sourceTable the lake table the document was made from
 * @param sourceRow a predicate that selects that row in the table (for lineage)
 */
public record VectorDocument(
        String id,
        @Nullable String kind,
        @Nullable String text,
        Instant time,
        Map<String, String> metadata,
        @Nullable String sourceTable,
        @Nullable String sourceRow) {

    /** Metadata keys are lower_snake_case, so that they can be filter keys and field names. */
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    public VectorDocument {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("A document id must not be blank");
        }
        Objects.requireNonNull(time, "time");
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        for (var entry : metadata.entrySet()) {
            if (!KEY.matcher(entry.getKey()).matches()) {
                throw new IllegalArgumentException(
                        "Metadata key '"
                                + entry.getKey()
                                + "' of document "
                                + id
                                + " is not lower_snake_case (a-z, 0-9, _; at most 64)");
            }
            Objects.requireNonNull(entry.getValue(), () -> "metadata " + entry.getKey());
        }
        if ((kind == null) != (text == null)) {
            throw new IllegalArgumentException(
                    "Document " + id + " needs both a kind and a text (or neither: a deletion)");
        }
    }

    /** A deletion of the document with {@code id}. */
    public static VectorDocument deletion(String id) {
        return new VectorDocument(id, null, null, Instant.EPOCH, Map.of(), null, null);
    }

    /** True for a {@link #deletion(String)}. */
    public boolean isDeletion() {
        return text == null;
    }

    /** The value of metadata {@code key}, or null. */
    @Nullable
    public String metadata(String key) {
        return metadata.get(key);
    }

    /** True when {@code key} may be a metadata key (lower_snake_case). */
    public static boolean isMetadataKey(String key) {
        return KEY.matcher(key).matches();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link VectorDocument}; id, kind, text and time are required. */
    public static final class Builder {
        private String id;
        private String kind;
        private String text;
        private Instant time;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private String sourceTable;
        private String sourceRow;

        private Builder() {}

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder kind(String kind) {
            this.kind = kind;
            return this;
        }

        public Builder text(String text) {
            this.text = text;
            return this;
        }

        public Builder time(Instant time) {
            this.time = time;
            return this;
        }

        /** Adds metadata {@code key}; a null or blank value is left out. */
        public Builder metadata(String key, @Nullable String value) {
            if (value != null && !value.isBlank()) {
                metadata.put(key, value);
            }
            return this;
        }

        /** The lake table and the predicate that selects the row the document was made from. */
        public Builder source(String table, String row) {
            this.sourceTable = table;
            this.sourceRow = row;
            return this;
        }

        public VectorDocument build() {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(text, "text");
            return new VectorDocument(id, kind, text, time, metadata, sourceTable, sourceRow);
        }
    }
}
