package dev.substrate.operators.scheduling.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.substrate.operators.config.ConfigFileException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree of mappings, lists and scalars that remembers the line of every node,
 * so that checks of its content can say where a defect is. Repeated keys are refused.
 */
final class YamlTree {

    private static final YAMLFactory YAML = new YAMLFactory();

    /** A node of the tree and the line it starts on. */
    sealed interface Node permits Scalar, Mapping, Sequence {
        int line();
    }

    /** A scalar value; {@code text} is null for YAML null ({@code ~} or nothing). */
    record Scalar(String text, int line) implements Node {}

    /** A mapping; each key with the line it is on and its value. */
    record Mapping(Map<String, Entry> entries, int line) implements Node {}

    /** A key of a mapping, its line and its value. */
    record Entry(String key, int line, Node value) {}

    record Sequence(List<Node> items, int line) implements Node {}

    private final String file;

    private YamlTree(String file) {
        this.file = file;
    }

    /** The document's root; null for an empty document. */
    static Node parse(String text, String file) {
        YamlTree tree = new YamlTree(file);
        try (JsonParser p = YAML.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return null;
            }
            Node root = tree.node(p);
            if (p.nextToken() != null) {
                throw new ConfigFileException(
                        file, line(p), "only one YAML document is allowed in the file");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new ConfigFileException(
                    file,
                    at == null ? 0 : at.getLineNr(),
                    "not valid YAML: " + firstLine(e.getOriginalMessage()),
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }

    private Node node(JsonParser p) throws IOException {
        JsonToken token = p.currentToken();
        int line = line(p);
        if (token == JsonToken.START_OBJECT) {
            Map<String, Entry> entries = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                int keyLine = line(p);
                Entry first = entries.get(key);
                if (first != null) {
                    throw new ConfigFileException(
                            file,
                            keyLine,
                            "'" + key + "' is given twice (first on line " + first.line() + ")");
                }
                p.nextToken();
                entries.put(key, new Entry(key, keyLine, node(p)));
            }
            return new Mapping(entries, line);
        }
        if (token == JsonToken.START_ARRAY) {
            List<Node> items = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                items.add(node(p));
            }
            return new Sequence(items, line);
        }
        if (token == JsonToken.VALUE_NULL) {
            return new Scalar(null, line);
        }
        return new Scalar(p.getText(), line);
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
