package dev.substrate.sinks.kafka;

import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;
import org.apache.flink.util.function.SerializableFunction;

/**
 * The one way a stage writes a Kafka output: Avro records in the Confluent wire format (the schema
 * registered under the topic's value subject), keyed by the entity whose records must stay in
 * order, each carrying a deterministic id (a field of the record, repeated in the header {@value
 * #RECORD_ID_HEADER}) so a consumer can drop what a restart delivered twice.
 *
 * <p>Delivery is a choice per job: {@link DeliveryGuarantee#AT_LEAST_ONCE} (the default) hands each
 * record to Kafka as it is made, so alerts reach consumers within milliseconds, and a restart from
 * a checkpoint may deliver some again (same id); {@link DeliveryGuarantee#EXACTLY_ONCE} writes in
 * Kafka transactions committed on checkpoints, so {@code read_committed} consumers see each record
 * once, one checkpoint interval later.
 *
 * <pre>{@code
 * KafkaOutputSink.<NodeHealth>builder(NodeHealth.getClassSchema())
 *         .bootstrapServers("kafka:9092")
 *         .registry(registry)
 *         .topic("substrate.node-health")
 *         .key(h -> h.getCluster() + "/" + h.getNode())
 *         .recordId(NodeHealth::getRecordId)
 *         .delivery(DeliveryGuarantee.AT_LEAST_ONCE)
 *         .build()
 *         .writeFrom(health, "kafka-node_health");
 * }</pre>
 */
public final class KafkaOutputSink<T extends SpecificRecord> {

    /** The Kafka header holding a record's deterministic id (UTF-8). */
    public static final String RECORD_ID_HEADER = "substrate.record-id";

    /**
     * Transactions of an exactly-once output stay open for at most this long, below the broker's
     * default {@code transaction.max.timeout.ms} (15 minutes).
     */
    static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

    private final Builder<T> settings;

    private KafkaOutputSink(Builder<T> settings) {
        this.settings = settings;
    }

    public static <T extends SpecificRecord> Builder<T> builder(Schema schema) {
        return new Builder<>(schema);
    }

    public String topic() {
        return settings.topic;
    }

    public DeliveryGuarantee delivery() {
        return settings.delivery;
    }

    /**
     * The Flink sink whose operator has {@code uid}: an exactly-once sink's transactional ids are
     * the job's prefix and the uid, unique even when two sinks write one topic.
     */
    public KafkaSink<T> kafkaSink(String uid) {
        Properties producer = new Properties();
        producer.setProperty(
                "transaction.timeout.ms", Long.toString(TRANSACTION_TIMEOUT.toMillis()));
        var builder =
                KafkaSink.<T>builder()
                        .setBootstrapServers(settings.bootstrapServers)
                        .setKafkaProducerConfig(producer)
                        .setDeliveryGuarantee(settings.delivery)
                        .setRecordSerializer(
                                new WireFormatSerializationSchema<>(
                                        settings.topic,
                                        settings.schema,
                                        settings.registry,
                                        settings.key,
                                        settings.recordId));
        if (settings.delivery == DeliveryGuarantee.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(settings.transactionalIdPrefix + "-" + uid);
        }
        return builder.build();
    }

    /** Writes {@code stream} to the topic, the sink's operator under {@code uid}. */
    public DataStreamSink<T> writeFrom(DataStream<T> stream, String uid) {
        return stream.sinkTo(kafkaSink(uid)).uid(uid).name("kafka: " + settings.topic);
    }

    /** What a Kafka output writes where, and how it delivers. */
    public static final class Builder<T extends SpecificRecord> {
        private final Schema schema;
        private String bootstrapServers;
        private SchemaRegistryConfig registry;
        private String topic;
        private SerializableFunction<T, String> key;
        private SerializableFunction<T, String> recordId;
        private DeliveryGuarantee delivery = DeliveryGuarantee.AT_LEAST_ONCE;
        private String transactionalIdPrefix;

        private Builder(Schema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
        }

        public Builder<T> bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        public Builder<T> registry(SchemaRegistryConfig registry) {
            this.registry = registry;
            return this;
        }

        public Builder<T> topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** The Kafka key: the entity whose records must stay in order on one partition. */
        public Builder<T> key(SerializableFunction<T, String> key) {
            this.key = key;
            return this;
        }

        /** The record's deterministic id: the same record made again has the same id. */
        public Builder<T> recordId(SerializableFunction<T, String> recordId) {
            this.recordId = recordId;
            return this;
        }

        public Builder<T> delivery(DeliveryGuarantee delivery) {
            this.delivery = delivery;
            return this;
        }

        /**
         * The prefix of the Kafka transactional ids of an exactly-once output, unique per job (two
         * jobs sharing one would fence each other's transactions); each sink appends its uid.
         */
        public Builder<T> transactionalIdPrefix(String prefix) {
            this.transactionalIdPrefix = prefix;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming what is missing
         */
        public KafkaOutputSink<T> build() {
            require(bootstrapServers, "bootstrapServers");
            require(registry, "registry");
            require(topic, "topic");
            require(key, "key");
            require(recordId, "recordId (every output record carries a deterministic id)");
            require(delivery, "delivery");
            if (delivery == DeliveryGuarantee.EXACTLY_ONCE) {
                require(transactionalIdPrefix, "transactionalIdPrefix (for exactly-once)");
            }
            if (delivery == DeliveryGuarantee.NONE) {
                throw new IllegalArgumentException(
                        "Kafka output " + topic + ": delivery NONE could lose records");
            }
            return new KafkaOutputSink<>(this);
        }

        private void require(Object value, String what) {
            if (value == null) {
                throw new IllegalArgumentException(
                        "Kafka output " + (topic == null ? "" : topic + " ") + "needs " + what);
            }
        }
    }
}
