package dev.substrate.operators.policies;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The validated thresholds of one policy, typed: counts, durations, numbers, lists of words and
 * maps from a word to a list of words. Built by {@link PolicyFile}, which checks that every
 * threshold its template needs is there with the right type.
 */
public record PolicyThresholds(
        Map<String, Long> counts,
        Map<String, Duration> durations,
        Map<String, Double> numbers,
        Map<String, List<String>> lists,
        Map<String, Map<String, List<String>>> maps)
        implements Serializable {

    public PolicyThresholds {
        counts = Map.copyOf(counts);
        durations = Map.copyOf(durations);
        numbers = Map.copyOf(numbers);
        lists = Map.copyOf(lists);
        maps = Map.copyOf(maps);
    }

    public int count(String name) {
        return Math.toIntExact(require(counts, name));
    }

    public Duration duration(String name) {
        return require(durations, name);
    }

    public double number(String name) {
        return require(numbers, name);
    }

    public List<String> list(String name) {
        return require(lists, name);
    }

    public Map<String, List<String>> map(String name) {
        return require(maps, name);
    }

    private static <V> V require(Map<String, V> values, String name) {
        V value = values.get(name);
        if (value == null) {
            // The parser checks every template's thresholds: reaching this is a bug in a template.
            throw new IllegalStateException("No threshold '" + name + "'");
        }
        return value;
    }
}
