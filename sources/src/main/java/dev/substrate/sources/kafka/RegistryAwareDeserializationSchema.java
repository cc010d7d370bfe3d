package dev.substrate.sources.kafka;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.DecodeResult;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deserializes Kafka records in the Confluent wire format into {@code T}, evolving any registered
 * writer version to the current class. Bad input never fails the job: it is emitted as {@code
 * Left(DeadLetter)} with where it came from, why it was refused and its original bytes. An
 * unavailable registry is not bad input: the same record is retried with exponential backoff
 * ({@link RetryPolicy}) and is never dead-lettered for it.
 *
 * <pre>{@code
 * KafkaSource<Either<DeadLetter, GpuSample>> source = KafkaSource.<Either<DeadLetter, GpuSample>>builder()
 *         .setDeserializer(new RegistryAwareDeserializationSchema<>(
 *                 GpuSample.class, SchemaRegistryConfig.fromEnvironment(url), RetryPolicy.defaults()))
 *         ...
 * }</pre>
 */
public class RegistryAwareDeserializationSchema<T extends SpecificRecord>
        implements KafkaRecordDeserializationSchema<Either<DeadLetter, T>> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG =
            LoggerFactory.getLogger(RegistryAwareDeserializationSchema.class);

    /** Counter of decode attempts that failed because the registry was unavailable. */
    public static final String METRIC_REGISTRY_RETRIES = "schemaRegistryRetries";

    /** Counter of records emitted as dead letters. */
    public static final String METRIC_DEAD_LETTERS = "deadLetters";

    private final Class<T> readerClass;
    private final SchemaRegistryConfig registry;
    private final RetryPolicy retry;

    private transient SchemaRegistryClient client;
    private transient AvroWireDecoder<T> decoder;
    private transient Counter registryRetries;
    private transient Counter deadLetters;

    public RegistryAwareDeserializationSchema(
            Class<T> readerClass, SchemaRegistryConfig registry, RetryPolicy retry) {
        this.readerClass = Objects.requireNonNull(readerClass, "readerClass");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.retry = Objects.requireNonNull(retry, "retry");
        avroTypeInfo(readerClass); // fail at job construction, not at runtime
    }

    /**
     * The Flink type of {@code Either<DeadLetter, T>} for a generated Avro class: Avro serializers
     * on both sides, never Kryo.
     */
    public static <T extends SpecificRecord> TypeInformation<Either<DeadLetter, T>> producedType(
            Class<T> readerClass) {
        return new EitherTypeInfo<>(
                new AvroTypeInfo<>(DeadLetter.class), avroTypeInfo(readerClass));
    }

    /**
     * The Avro type information of a generated class ({@link AvroTypeInfo} needs its base class).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T extends SpecificRecord> TypeInformation<T> avroTypeInfo(Class<T> recordClass) {
        if (!SpecificRecordBase.class.isAssignableFrom(recordClass)) {
            throw new IllegalArgumentException(
                    recordClass.getName()
                            + " is not a generated Avro class (SpecificRecordBase subclass)");
        }
        return (TypeInformation<T>) new AvroTypeInfo(recordClass);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) throws Exception {
        client = new SchemaRegistryClient(registry);
        decoder = new AvroWireDecoder<>(client, readerClass);
        MetricGroup metrics = context == null ? null : context.getMetricGroup();
        if (metrics != null) {
            registryRetries = metrics.counter(METRIC_REGISTRY_RETRIES);
            deadLetters = metrics.counter(METRIC_DEAD_LETTERS);
        } else {
            registryRetries = new SimpleCounter();
            deadLetters = new SimpleCounter();
        }
    }

    @Override
    public void deserialize(
            ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, T>> out)
            throws IOException {
        if (decoder == null) {
            throw new IllegalStateException("open() was not called");
        }
        DecodeResult<T> result = decodeRetryingWhileRegistryUnavailable(record);
        if (result.ok()) {
            out.collect(Either.Right(result.record()));
        } else {
            deadLetters.inc();
            out.collect(
                    Either.Left(
                            deadLetter(
                                    record,
                                    result.failure(),
                                    result.schemaId(),
                                    result.message())));
        }
    }

    private DecodeResult<T> decodeRetryingWhileRegistryUnavailable(
            ConsumerRecord<byte[], byte[]> record) throws IOException {
        for (int failedAttempts = 1; ; failedAttempts++) {
            try {
                return decoder.decode(record.value());
            } catch (SchemaRegistryException e) {
                registryRetries.inc();
                if (!retry.mayRetryAfter(failedAttempts)) {
                    throw new IOException(
                            "Schema registry unavailable after "
                                    + failedAttempts
                                    + " attempts decoding "
                                    + position(record)
                                    + " ("
                                    + retry
                                    + "): "
                                    + e.getMessage(),
                            e);
                }
                Duration delay = retry.delayAfter(failedAttempts);
                LOG.warn(
                        "Schema registry unavailable decoding {} (attempt {}, HTTP {}): {};"
                                + " retrying in {} ms",
                        position(record),
                        failedAttempts,
                        e.httpStatus(),
                        e.getMessage(),
                        delay.toMillis());
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(
                            "Interrupted while waiting for the schema registry, at "
                                    + position(record));
                }
            }
        }
    }

    private static DeadLetter deadLetter(
            ConsumerRecord<byte[], byte[]> record,
            DeadLetterReason reason,
            Integer schemaId,
            String message) {
        return DeadLetter.newBuilder()
                .setSourceTopic(record.topic())
                .setSourcePartition(record.partition())
                .setSourceOffset(record.offset())
                .setSourceTimestamp(Instant.ofEpochMilli(record.timestamp()))
                .setDeadLetteredAt(Instant.now())
                .setSchemaId(schemaId)
                .setReason(reason)
                .setMessage(message)
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .build();
    }

    private static String position(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    @Override
    public TypeInformation<Either<DeadLetter, T>> getProducedType() {
        return producedType(readerClass);
    }
}
