package dev.substrate.operators.policies;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.substrate.events.PolicySeverity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.flink.util.TimeUtils;

/**
 * Reads and validates a policy file (YAML): a list of policies, each with an id, a version, a
 * severity, a description, a template, the key it correlates on, its thresholds and an optional
 * cool-down. Every defect fails with the file, the policy id and the reason. Usage:
 *
 * <pre>{@code
 * List<Policy> policies = PolicyFile.load(PolicyFile.DEFAULT);       // the shipped catalogue
 * List<Policy> mine = PolicyFile.load("/etc/substrate/policies.yaml");
 * }</pre>
 */
public final class PolicyFile {

    /** The catalogue shipped with Substrate, a classpath resource. */
    public static final String DEFAULT = "classpath:policies/policies.yaml";

    /** The cool-down of a policy that sets none. */
    public static final Duration DEFAULT_COOL_DOWN = Duration.ofMinutes(10);

    private static final String CLASSPATH = "classpath:";
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Set<String> POLICY_KEYS =
            Set.of(
                    "id",
                    "version",
                    "severity",
                    "description",
                    "template",
                    "key",
                    "cooldown",
                    "thresholds");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private PolicyFile() {}

    /** The policies of a file path or of a {@code classpath:} resource. */
    public static List<Policy> load(String location) {
        return parse(read(location), location);
    }

    /** The text of a file path or of a {@code classpath:} resource. */
    public static String read(String location) {
        try {
            if (location.startsWith(CLASSPATH)) {
                String resource = location.substring(CLASSPATH.length());
                try (InputStream in =
                        PolicyFile.class.getClassLoader().getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new PolicyFileException(
                                location, null, "no such resource on the classpath");
                    }
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            return Files.readString(Path.of(location));
        } catch (NoSuchFileException e) {
            throw new PolicyFileException(
                    location, null, "no such file; policies.file must name a readable file", e);
        } catch (IOException e) {
            throw new PolicyFileException(location, null, "cannot be read: " + e.getMessage(), e);
        }
    }

    /** The policies of {@code text}, read from {@code file} (named in errors). */
    public static List<Policy> parse(String text, String file) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new PolicyFileException(
                    file, null, "not valid YAML: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject() || !root.has("policies")) {
            throw new PolicyFileException(file, null, "expected a mapping with a 'policies' list");
        }
        for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!key.equals("policies")) {
                throw new PolicyFileException(
                        file, null, "unknown key '" + key + "'; a policy file has only policies");
            }
        }
        JsonNode list = root.get("policies");
        if (!list.isArray() || list.isEmpty()) {
            throw new PolicyFileException(file, null, "'policies' must be a non-empty list");
        }
        List<Policy> policies = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        int index = 0;
        for (JsonNode node : list) {
            index++;
            Policy policy = policy(file, index, node);
            if (!ids.add(policy.id())) {
                throw new PolicyFileException(file, policy.id(), "the id is given twice");
            }
            policies.add(policy);
        }
        return List.copyOf(policies);
    }

    private static Policy policy(String file, int index, JsonNode node) {
        if (!node.isObject()) {
            throw new PolicyFileException(
                    file, "#" + index, "a policy must be a mapping with id, version, ...");
        }
        String id = text(node, "id");
        if (id == null || !ID.matcher(id).matches()) {
            throw new PolicyFileException(
                    file,
                    id == null ? "#" + index : id,
                    "the id must be 1 to 63 lower-case letters, digits and dashes (it names the"
                            + " operator's uid)");
        }
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!POLICY_KEYS.contains(key)) {
                throw new PolicyFileException(
                        file,
                        id,
                        "unknown key '" + key + "'; a policy has " + String.join(", ", sorted()));
            }
        }
        JsonNode version = node.get("version");
        if (version == null || !version.canConvertToInt() || version.asInt() < 1) {
            throw new PolicyFileException(
                    file, id, "'version' must be a whole number of at least 1");
        }
        String description = text(node, "description");
        if (description == null || description.isBlank()) {
            throw new PolicyFileException(file, id, "'description' is missing");
        }
        PolicySeverity severity =
                choice(file, id, node, "severity", PolicySeverity.values(), PolicySeverity::name);
        PolicyTemplate template =
                choice(file, id, node, "template", PolicyTemplate.values(), t -> t.fileName());
        String key = text(node, "key");
        if (key == null || !key.equals(template.key().fileName())) {
            throw new PolicyFileException(
                    file,
                    id,
                    "'key' must be "
                            + template.key().fileName()
                            + ": template "
                            + template.fileName()
                            + " correlates on it"
                            + (key == null ? "" : ", not on " + key));
        }
        Duration coolDown =
                node.has("cooldown")
                        ? duration(file, id, "cooldown", node.get("cooldown"))
                        : DEFAULT_COOL_DOWN;
        return new Policy(
                id,
                version.asInt(),
                severity,
                description.trim(),
                template,
                thresholds(file, id, template, node.get("thresholds")),
                coolDown);
    }

    private static PolicyThresholds thresholds(
            String file, String id, PolicyTemplate template, JsonNode node) {
        Map<String, PolicyTemplate.Type> wanted = template.thresholds();
        if (node == null || node.isNull()) {
            if (!wanted.isEmpty()) {
                throw new PolicyFileException(
                        file,
                        id,
                        "'thresholds' is missing; template "
                                + template.fileName()
                                + " needs "
                                + String.join(", ", wanted.keySet()));
            }
            node = YAML.createObjectNode();
        }
        if (!node.isObject()) {
            throw new PolicyFileException(file, id, "'thresholds' must be a mapping");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!wanted.containsKey(name)) {
                throw new PolicyFileException(
                        file,
                        id,
                        "unknown threshold '"
                                + name
                                + "' for template "
                                + template.fileName()
                                + (wanted.isEmpty()
                                        ? ", which has none"
                                        : "; it has " + String.join(", ", wanted.keySet())));
            }
        }
        Map<String, Long> counts = new HashMap<>();
        Map<String, Duration> durations = new HashMap<>();
        Map<String, Double> numbers = new HashMap<>();
        Map<String, List<String>> lists = new HashMap<>();
        Map<String, Map<String, List<String>>> maps = new HashMap<>();
        for (Map.Entry<String, PolicyTemplate.Type> entry : wanted.entrySet()) {
            String name = entry.getKey();
            JsonNode value = node.get(name);
            if (value == null || value.isNull()) {
                throw new PolicyFileException(
                        file,
                        id,
                        "threshold '"
                                + name
                                + "' is missing (template "
                                + template.fileName()
                                + ")");
            }
            switch (entry.getValue()) {
                case COUNT -> {
                    if (!value.canConvertToLong()
                            || !value.isIntegralNumber()
                            || value.asLong() < 1) {
                        throw new PolicyFileException(
                                file, id, "threshold '" + name + "' must be a whole number ≥ 1");
                    }
                    counts.put(name, value.asLong());
                }
                case DURATION -> durations.put(name, duration(file, id, name, value));
                case NUMBER -> {
                    if (!value.isNumber() || value.asDouble() <= 0) {
                        throw new PolicyFileException(
                                file, id, "threshold '" + name + "' must be a number > 0");
                    }
                    numbers.put(name, value.asDouble());
                }
                case LIST -> lists.put(name, words(file, id, name, value));
                case MAP -> {
                    if (!value.isObject() || value.isEmpty()) {
                        throw new PolicyFileException(
                                file,
                                id,
                                "threshold '" + name + "' must be a mapping of names to lists");
                    }
                    Map<String, List<String>> map = new LinkedHashMap<>();
                    value.fields()
                            .forEachRemaining(
                                    e ->
                                            map.put(
                                                    e.getKey(),
                                                    words(
                                                            file,
                                                            id,
                                                            name + "." + e.getKey(),
                                                            e.getValue())));
                    maps.put(name, map);
                }
                case HOURS -> {
                    String[] parts = value.asText().split("-");
                    int from;
                    int to;
                    try {
                        from = Integer.parseInt(parts[0].trim());
                        to = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : -1;
                    } catch (NumberFormatException e) {
                        from = -1;
                        to = -1;
                    }
                    if (parts.length != 2 || from < 0 || to > 24 || from >= to) {
                        throw new PolicyFileException(
                                file,
                                id,
                                "threshold '"
                                        + name
                                        + "' must be UTC hours from-to with 0 ≤ from < to ≤ 24,"
                                        + " for example \"8-18\"");
                    }
                    counts.put(name + ".from", (long) from);
                    counts.put(name + ".to", (long) to);
                }
                default -> throw new IllegalStateException(entry.getValue().name());
            }
        }
        return new PolicyThresholds(counts, durations, numbers, lists, maps);
    }

    private static Duration duration(String file, String id, String name, JsonNode value) {
        Duration d;
        try {
            d = value.isTextual() ? TimeUtils.parseDuration(value.asText()) : null;
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d == null || d.isZero() || d.isNegative()) {
            throw new PolicyFileException(
                    file,
                    id,
                    "'"
                            + name
                            + "' must be a positive duration such as 30s, 10m or 2h, not "
                            + value);
        }
        return d;
    }

    private static List<String> words(String file, String id, String name, JsonNode value) {
        if (!value.isArray() || value.isEmpty()) {
            throw new PolicyFileException(
                    file, id, "threshold '" + name + "' must be a non-empty list");
        }
        List<String> words = new ArrayList<>();
        for (JsonNode word : value) {
            if (!word.isValueNode() || word.asText().isBlank()) {
                throw new PolicyFileException(
                        file, id, "threshold '" + name + "' must list plain words");
            }
            words.add(word.asText());
        }
        return List.copyOf(words);
    }

    private static <E> E choice(
            String file,
            String id,
            JsonNode node,
            String field,
            E[] options,
            java.util.function.Function<E, String> name) {
        String value = text(node, field);
        List<String> names = new ArrayList<>();
        for (E option : options) {
            names.add(name.apply(option));
            if (value != null && name.apply(option).equalsIgnoreCase(value.trim())) {
                return option;
            }
        }
        throw new PolicyFileException(
                file,
                id,
                "'"
                        + field
                        + "' must be one of "
                        + String.join(", ", names)
                        + (value == null ? "" : ", not " + value.toLowerCase(Locale.ROOT)));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isValueNode() ? null : value.asText();
    }

    private static List<String> sorted() {
        List<String> keys = new ArrayList<>(POLICY_KEYS);
        keys.sort(null);
        return keys;
    }
}
