package dev.substrate.vectors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which documents a search may return: {@code key=value} conditions on a document's kind, source
 * table, embedding model or metadata. Conditions on different keys must all hold; several values of
 * one key are alternatives ({@code kind=crm-event kind=erp-event} finds either).
 *
 * <pre>{@code
 * DocumentFilter filter = DocumentFilter.parse(List.of("kind=node-health", "cluster=h100-a"));
 * }</pre>
 */
public final class DocumentFilter {

    /** The document's kind. */
    public static final String KIND = "kind";

    /** The lake table the document was made from. */
    public static final String SOURCE_TABLE = "source_table";

    /** The embedding model, {@code name@version}. */
    public static final String MODEL = "model";

    /** Keys every document has besides its metadata. */
    public static final List<String> DOCUMENT_KEYS = List.of(KIND, SOURCE_TABLE, MODEL);

    /**
     * Metadata keys the pipeline's documents use (not every kind has every one), valid filter keys
     * even before a document with them is stored.
     */
    public static final List<String> WELL_KNOWN_METADATA =
            List.of("severity", "region", "cluster", "tenant", "node", "source_system");

    private static final DocumentFilter NONE = new DocumentFilter(Map.of());

    private final Map<String, Set<String>> conditions;

    private DocumentFilter(Map<String, Set<String>> conditions) {
        this.conditions = conditions;
    }

    /** The filter that lets every document through. */
    public static DocumentFilter none() {
        return NONE;
    }

    /**
     * The filter of {@code key=value} expressions, as a user types them.
     *
     * @throws IllegalArgumentException naming the expression, when one is not {@code key=value}
     *     with a lower_snake_case key and a value
     */
    public static DocumentFilter parse(List<String> expressions) {
        Map<String, Set<String>> conditions = new LinkedHashMap<>();
        for (String expression : expressions) {
            int equals = expression.indexOf('=');
            if (equals < 0) {
                throw new IllegalArgumentException(
                        "Bad filter '"
                                + expression
                                + "': expected key=value, for example kind=node-health or"
                                + " cluster=h100-a");
            }
            String key = expression.substring(0, equals).trim();
            String value = expression.substring(equals + 1).trim();
            if (!VectorDocument.isMetadataKey(key)) {
                throw new IllegalArgumentException(
                        "Bad filter '"
                                + expression
                                + "': the key '"
                                + key
                                + "' must be lower_snake_case, for example kind, severity,"
                                + " cluster");
            }
            if (value.isEmpty()) {
                throw new IllegalArgumentException(
                        "Bad filter '" + expression + "': the value after '=' is empty");
            }
            conditions.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(value);
        }
        return of(conditions);
    }

    /** The filter with one condition per key of {@code conditions}. */
    public static DocumentFilter of(Map<String, ? extends Set<String>> conditions) {
        Map<String, Set<String>> copy = new LinkedHashMap<>();
        conditions.forEach((key, values) -> copy.put(key, Set.copyOf(new ArrayList<>(values))));
        return copy.isEmpty() ? NONE : new DocumentFilter(Collections.unmodifiableMap(copy));
    }

    /** This filter and also {@code key=value}. */
    public DocumentFilter and(String key, String value) {
        Map<String, Set<String>> copy = new LinkedHashMap<>(conditions);
        copy.put(key, Set.of(value));
        return of(copy);
    }

    /** The accepted values per key. */
    public Map<String, Set<String>> conditions() {
        return conditions;
    }

    public boolean isEmpty() {
        return conditions.isEmpty();
    }

    /** True when {@code document} (embedded by {@code model}) passes. */
    public boolean accepts(VectorDocument document, String model) {
        for (var condition : conditions.entrySet()) {
            String actual =
                    switch (condition.getKey()) {
                        case KIND -> document.kind();
                        case SOURCE_TABLE -> document.sourceTable();
                        case MODEL -> model;
                        default -> document.metadata(condition.getKey());
                    };
            if (actual == null || !condition.getValue().contains(actual)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        conditions.forEach(
                (key, values) -> values.stream().sorted().forEach(v -> parts.add(key + "=" + v)));
        return String.join(" ", parts);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DocumentFilter filter && filter.conditions.equals(conditions);
    }

    @Override
    public int hashCode() {
        return conditions.hashCode();
    }
}
