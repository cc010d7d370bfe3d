package dev.substrate.operators.quality;

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
import java.util.Set;

/**
 * Reads the structure of a rule file (YAML) and remembers the line of every value, so that later
 * checks can say where a defect is. Knows nothing of CEL.
 */
final class RuleFileParser {

    static final String EVENT_TYPE = "event_type";
    static final String CLOCK_SKEW = "clock_skew";
    static final String RULES = "rules";
    static final Set<String> FILE_KEYS = Set.of(EVENT_TYPE, CLOCK_SKEW, RULES);

    static final String NAME = "name";
    static final String DOC = "doc";
    static final String EXPRESSION = "expression";
    static final String SEVERITY = "severity";
    static final String ACTION = "action";
    static final List<String> RULE_KEYS = List.of(NAME, DOC, EXPRESSION, SEVERITY, ACTION);

    /**
     * A scalar value and where it starts; {@code blockIndicator} is {@code '|'} or {@code '>'} for
     * block scalars (whose text starts on the next line) and 0 otherwise.
     */
    record Value(String text, int line, char blockIndicator) {}

    /** One entry of the rules list: its keys and where the entry starts. */
    record Entry(int line, Map<String, Value> values) {}

    /** The whole file. */
    record Parsed(Map<String, Value> header, List<Entry> rules, int rulesLine) {}

    private static final YAMLFactory YAML = new YAMLFactory();

    private final String file;
    private final String[] lines;

    private RuleFileParser(String file, String text) {
        this.file = file;
        this.lines = text.split("\r?\n", -1);
    }

    static Parsed parse(String text, String file) {
        RuleFileParser parser = new RuleFileParser(file, text);
        try (JsonParser p = YAML.createParser(text)) {
            return parser.file(p);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new ConfigFileException(
                    file,
                    at == null ? 0 : at.getLineNr(),
                    "not valid YAML: " + firstLine(e.getOriginalMessage()),
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read rule file " + file, e);
        }
    }

    private Parsed file(JsonParser p) throws IOException {
        JsonToken token = p.nextToken();
        if (token == null) {
            throw new ConfigFileException(
                    file, 1, "the file is empty; expected event_type, clock_skew and rules");
        }
        if (token != JsonToken.START_OBJECT) {
            throw new ConfigFileException(
                    file,
                    line(p),
                    "expected a mapping with the keys event_type, clock_skew and rules");
        }
        Map<String, Value> header = new LinkedHashMap<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<Entry> rules = null;
        int rulesLine = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            int keyLine = line(p);
            checkNotRepeated(seen, key, keyLine);
            p.nextToken();
            if (!FILE_KEYS.contains(key)) {
                throw new ConfigFileException(
                        file,
                        keyLine,
                        "unknown key '" + key + "'; a rule file has event_type, clock_skew, rules");
            }
            if (RULES.equals(key)) {
                rulesLine = keyLine;
                rules = rules(p);
            } else {
                header.put(key, scalar(p, key));
            }
        }
        if (p.nextToken() != null) {
            throw new ConfigFileException(
                    file, line(p), "only one YAML document is allowed in a rule file");
        }
        if (rules == null) {
            throw new ConfigFileException(file, 1, "no 'rules' list");
        }
        return new Parsed(header, rules, rulesLine);
    }

    private List<Entry> rules(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new ConfigFileException(file, line(p), "'rules' must be a list of rules");
        }
        List<Entry> entries = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            int entryLine = line(p);
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new ConfigFileException(
                        file,
                        entryLine,
                        "a rule must be a mapping with name, doc, expression, severity, action");
            }
            Map<String, Value> values = new LinkedHashMap<>();
            Map<String, Integer> seen = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                int keyLine = line(p);
                checkNotRepeated(seen, key, keyLine);
                if (!RULE_KEYS.contains(key)) {
                    throw new ConfigFileException(
                            file,
                            keyLine,
                            "unknown key '"
                                    + key
                                    + "' in a rule; a rule has "
                                    + String.join(", ", RULE_KEYS));
                }
                p.nextToken();
                values.put(key, scalar(p, key));
            }
            entries.add(new Entry(entryLine, values));
        }
        return entries;
    }

    private Value scalar(JsonParser p, String key) throws IOException {
        JsonToken token = p.currentToken();
        int line = line(p);
        if (token == JsonToken.VALUE_NULL) {
            return new Value("", line, (char) 0);
        }
        if (!token.isScalarValue()) {
            throw new ConfigFileException(file, line, "'" + key + "' must be a single value");
        }
        return new Value(p.getText(), line, blockIndicator(p.currentTokenLocation()));
    }

    /** {@code '|'} or {@code '>'} when the scalar starting here is a block scalar, else 0. */
    private char blockIndicator(JsonLocation at) {
        int line = at.getLineNr();
        int column = at.getColumnNr();
        if (line < 1 || line > lines.length || column < 1) {
            return 0;
        }
        String text = lines[line - 1];
        if (column - 1 >= text.length()) {
            return 0;
        }
        char c = text.charAt(column - 1);
        return c == '|' || c == '>' ? c : 0;
    }

    private void checkNotRepeated(Map<String, Integer> seen, String key, int line) {
        Integer first = seen.putIfAbsent(key, line);
        if (first != null) {
            throw new ConfigFileException(
                    file, line, "'" + key + "' is given twice (first on line " + first + ")");
        }
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
