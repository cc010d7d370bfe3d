package dev.substrate.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The labelled retrieval set in {@code sample-data/retrieval/}: documents of every kind the
 * pipeline indexes, written as its mappers write them, and queries with the ids of the documents
 * that answer them.
 */
record RetrievalSet(List<VectorDocument> documents, List<Query> queries) {

    /** A query and the documents that answer it. */
    record Query(String text, Set<String> relevant) {}

    static RetrievalSet load() throws IOException {
        Path dir = locate();
        ObjectMapper json = new ObjectMapper();
        List<VectorDocument> documents = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("documents.jsonl"))) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = json.readTree(line);
            Map<String, String> metadata = new LinkedHashMap<>();
            node.path("metadata")
                    .fields()
                    .forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
            documents.add(
                    new VectorDocument(
                            node.get("id").asText(),
                            node.get("kind").asText(),
                            node.get("text").asText(),
                            Instant.parse(node.get("time").asText()),
                            metadata,
                            node.get("source_table").asText(),
                            node.get("source_row").asText()));
        }
        List<Query> queries = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("queries.jsonl"))) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = json.readTree(line);
            List<String> relevant = new ArrayList<>();
            node.get("relevant").forEach(id -> relevant.add(id.asText()));
            queries.add(new Query(node.get("query").asText(), Set.copyOf(relevant)));
        }
        return new RetrievalSet(documents, queries);
    }

    private static Path locate() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("sample-data").resolve("retrieval");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("No sample-data/retrieval in " + start + " or above");
    }
}
