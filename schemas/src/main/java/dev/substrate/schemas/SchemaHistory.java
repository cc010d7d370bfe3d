package dev.substrate.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Every released version of a record schema, read from the classpath resources {@code
 * avro/history/<Name>.v1.avsc}, {@code .v2.avsc}, ... so tests and tools can write and read data of
 * old versions.
 */
public final class SchemaHistory {

    private static final String RESOURCE_FORMAT = "avro/history/%s.v%d.avsc";
    private static final Map<String, List<Schema>> CACHE = new ConcurrentHashMap<>();

    private SchemaHistory() {}

    /**
     * The versions of {@code recordName} (simple name, e.g. {@code GpuSample}), oldest first: index
     * 0 is v1. The same Schema instances are returned on every call.
     *
     * @throws IllegalArgumentException when no {@code v1} resource exists for the name
     */
    public static List<Schema> versions(String recordName) {
        return CACHE.computeIfAbsent(recordName, SchemaHistory::load);
    }

    private static List<Schema> load(String recordName) {
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        List<Schema> versions = new ArrayList<>();
        for (int version = 1; ; version++) {
            String resource = String.format(RESOURCE_FORMAT, recordName, version);
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    break;
                }
                // One parser per file: every version defines the same full name.
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read schema resource " + resource, e);
            }
        }
        if (versions.isEmpty()) {
            throw new IllegalArgumentException(
                    "No schema history for '"
                            + recordName
                            + "': expected classpath resource "
                            + String.format(RESOURCE_FORMAT, recordName, 1));
        }
        return List.copyOf(versions);
    }
}
