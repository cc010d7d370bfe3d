package dev.substrate.dashboard.feeds;

import dev.substrate.dashboard.live.UpdateHub;
import org.apache.avro.specific.SpecificRecord;

/**
 * What one Kafka output topic shows on the dashboard: its record type, and the panel updates each
 * record makes. One class per topic; {@link FeedConsumer} reads them all, decoding the Confluent
 * wire format with the registry. Adding a topic to the dashboard is adding one feed (and its panel
 * in {@code app.js}).
 *
 * <p>Updates are keyed by what the record is about (a window, a node's change, a dead letter's
 * source offset), so a record read twice from an at-least-once output replaces itself, and a late
 * revision of a window replaces the earlier one.
 */
public interface Feed<T extends SpecificRecord> {

    /** The Kafka topic it reads. */
    String topic();

    /** The Avro class its records are read as (resolved from any registered writer schema). */
    Class<T> recordClass();

    /** Publishes what {@code record} changes on the dashboard. Called on the consumer's thread. */
    void accept(T record, UpdateHub hub);
}
