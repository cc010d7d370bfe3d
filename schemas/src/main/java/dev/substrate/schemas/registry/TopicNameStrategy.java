package dev.substrate.schemas.registry;

/** Confluent's default subject naming: the subject of a topic's values is {@code <topic>-value}. */
public final class TopicNameStrategy {

    private TopicNameStrategy() {}

    /** The subject under which the value schemas of {@code topic} are registered. */
    public static String valueSubject(String topic) {
        return requireTopic(topic) + "-value";
    }

    /** The subject under which the key schemas of {@code topic} are registered. */
    public static String keySubject(String topic) {
        return requireTopic(topic) + "-key";
    }

    private static String requireTopic(String topic) {
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("topic must not be null or blank");
        }
        return topic;
    }
}
