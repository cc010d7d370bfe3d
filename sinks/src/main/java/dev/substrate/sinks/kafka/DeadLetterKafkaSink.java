package dev.substrate.sinks.kafka;

import dev.substrate.events.DeadLetter;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Sends every dead letter to the dead-letter Kafka topic, keyed by the topic it came from, so that
 * producers and operators can watch what was refused while it happens. The {@code dead_letters}
 * Iceberg table is the exactly-once record; this topic is at least once.
 */
public final class DeadLetterKafkaSink {

    private DeadLetterKafkaSink() {}

    public static void sendTo(
            DataStream<DeadLetter> deadLetters,
            String bootstrapServers,
            String topic,
            SchemaRegistryConfig registry) {
        KafkaSink<DeadLetter> sink =
                KafkaSink.<DeadLetter>builder()
                        .setBootstrapServers(bootstrapServers)
                        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                        .setRecordSerializer(
                                new WireFormatSerializationSchema<>(
                                        topic,
                                        DeadLetter.getClassSchema(),
                                        registry,
                                        DeadLetter::getSourceTopic))
                        .build();
        deadLetters.sinkTo(sink).uid("kafka-dead-letters").name("kafka: " + topic);
    }
}
