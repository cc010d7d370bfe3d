package dev.substrate.dashboard.feeds;

import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/** A {@link Feed} of one topic read as one record class: what every feed has in common. */
abstract class TopicFeed<T extends SpecificRecord> implements Feed<T> {

    private final String topic;
    private final Class<T> recordClass;

    TopicFeed(String topic, Class<T> recordClass) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.recordClass = Objects.requireNonNull(recordClass, "recordClass");
    }

    @Override
    public final String topic() {
        return topic;
    }

    @Override
    public final Class<T> recordClass() {
        return recordClass;
    }
}
