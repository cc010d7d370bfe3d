package dev.substrate.sources.kafka;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.KafkaHeader;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.ConfluentWireFormat;
import dev.substrate.schemas.wire.DecodeResult;
import dev.substrate.schemas.wire.MalformedFrameException;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deserializes Kafka records in the Confluent wire format into {@code T}, evolving any registered
 * writer version to the current class, and keeps where each came from: a decoded record comes out
 * as {@code Right(Sourced<T>)} with its partition, offset, timestamp, schema id and original key,
 * value and headers, so that a later stage can still dead-letter it replayably. Bad input never
 * fails the job: it is emitted as {@code Left(DeadLetter)} with the same provenance, why it was
 * refused, and its original bytes; a tombstone (null value) is a dead letter with reason {@code
 * TOMBSTONE}.
 *
 * <p>An unavailable registry is not bad input: the same record is retried with backoff ({@link
 * RetryPolicy}) and is never dead-lettered for it. Flink calls this on the source's task thread,
 * where checkpoints and cancellation wait, so the retries are bounded (registry.outage-timeout):
 * then the task fails with a {@link SchemaRegistryOutageException} naming the registry, the record
 * and the schema id, and Flink's restart strategy restarts the job from its last checkpoint.
 *
 * <pre>{@code
 * KafkaSource<Either<DeadLetter, Sourced<GpuSample>>> source =
 *     KafkaSource.<Either<DeadLetter, Sourced<GpuSample>>>builder()
 *         .setDeserializer(new RegistryAwareDeserializationSchema<>(
 *                 GpuSample.class, SchemaRegistryConfig.fromEnvironment(url), RetryPolicy.defaults()))
 *         ...
 * }</pre>
 */
public class RegistryAwareDeserializationSchema<T extends SpecificRecord>
        implements KafkaRecordDeserializationSchema<Either<DeadLetter, Sourced<T>>> {

    private static final long serialVersionUID = 2L;
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
    private transient Sourced.Builder<T> sourced;
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
     * The Flink type of {@code Either<DeadLetter, Sourced<T>>} for a generated Avro class: Avro
     * serializers for both records, {@link dev.substrate.schemas.wire.SourcedSerializer} around the
     * decoded one, never Kryo.
     */
    public static <T extends SpecificRecord>
            TypeInformation<Either<DeadLetter, Sourced<T>>> producedType(Class<T> readerClass) {
        return new EitherTypeInfo<>(
                new AvroTypeInfo<>(DeadLetter.class),
                new SourcedTypeInfo<>(avroTypeInfo(readerClass)));
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
        // One request may not outlast the whole bound: a registry that accepts connections but
        // never answers would otherwise hold the task thread for the client's own timeout.
        Duration bound = retry.giveUpAfter();
        client =
                new SchemaRegistryClient(
                        registry.timeout().compareTo(bound) > 0
                                ? registry.withTimeout(bound)
                                : registry);
        decoder = new AvroWireDecoder<>(client, readerClass);
        sourced = Sourced.builder();
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
            ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, Sourced<T>>> out)
            throws IOException {
        if (decoder == null) {
            throw new IllegalStateException("open() was not called");
        }
        DecodeResult<T> result = decodeWaitingForTheRegistry(record);
        List<KafkaHeader> headers = headers(record);
        if (result.ok()) {
            out.collect(
                    Either.Right(
                            sourced.record(result.record())
                                    .partition(record.partition())
                                    .offset(record.offset())
                                    .timestamp(record.timestamp())
                                    .schemaId(result.schemaId())
                                    .key(record.key())
                                    .value(record.value())
                                    .headers(headers)
                                    .build()));
        } else {
            deadLetters.inc();
            out.collect(
                    Either.Left(
                            Sourced.provenance(
                                            record.topic(),
                                            record.partition(),
                                            record.offset(),
                                            record.timestamp(),
                                            result.schemaId(),
                                            record.key(),
                                            record.value(),
                                            headers)
                                    .setDeadLetteredAt(Instant.now())
                                    .setReason(result.failure())
                                    .setMessage(result.message())
                                    .build()));
        }
    }

    private DecodeResult<T> decodeWaitingForTheRegistry(ConsumerRecord<byte[], byte[]> record)
            throws IOException {
        long firstFailure = 0;
        for (int failedAttempts = 1; ; failedAttempts++) {
            try {
                return decoder.decode(record.value());
            } catch (SchemaRegistryException e) {
                registryRetries.inc();
                long now = System.nanoTime();
                if (failedAttempts == 1) {
                    firstFailure = now;
                }
                long elapsedMs = (now - firstFailure) / 1_000_000;
                if (!retry.mayRetry(failedAttempts, elapsedMs)) {
                    throw outage(record, failedAttempts, elapsedMs, e);
                }
                Duration delay = retry.delayAfter(failedAttempts, elapsedMs);
                LOG.warn(
                        "Schema registry {} unavailable decoding {} (schema id {}, attempt {}, HTTP"
                                + " {}): {}; retrying in {} ms, giving up after {} ms",
                        registry.url(),
                        position(record),
                        schemaId(record),
                        failedAttempts,
                        e.httpStatus(),
                        e.getMessage(),
                        delay.toMillis(),
                        retry.giveUpAfter().toMillis());
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException interrupted) {
                    // Cancellation: the task is going away, the record will be read again.
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(
                            "Interrupted while waiting for the schema registry, at "
                                    + position(record));
                }
            }
        }
    }

    private SchemaRegistryOutageException outage(
            ConsumerRecord<byte[], byte[]> record,
            int attempts,
            long elapsedMs,
            SchemaRegistryException cause) {
        return new SchemaRegistryOutageException(
                "Schema registry "
                        + registry.url()
                        + " unavailable for "
                        + elapsedMs
                        + " ms ("
                        + attempts
                        + " attempts; registry.outage-timeout is "
                        + retry.giveUpAfter().toMillis()
                        + " ms) while decoding "
                        + position(record)
                        + " with schema id "
                        + schemaId(record)
                        + ": "
                        + cause.getMessage()
                        + ". Is the registry up and reachable from the TaskManagers? The task"
                        + " fails now and Flink's restart strategy restarts the job from its last"
                        + " checkpoint: nothing is lost or dead-lettered. Raise"
                        + " registry.outage-timeout to wait longer on the task thread.",
                cause);
    }

    private static String schemaId(ConsumerRecord<byte[], byte[]> record) {
        try {
            return String.valueOf(ConfluentWireFormat.parse(record.value()).schemaId());
        } catch (MalformedFrameException e) {
            return "(none)"; // not reached: a registry call needs a frame
        }
    }

    private static List<KafkaHeader> headers(ConsumerRecord<?, ?> record) {
        // Kafka hands out a shared empty array when there are none: the common case allocates
        // nothing.
        Header[] headers = record.headers().toArray();
        if (headers.length == 0) {
            return List.of();
        }
        List<KafkaHeader> list = new ArrayList<>(headers.length);
        for (Header header : headers) {
            byte[] value = header.value();
            list.add(new KafkaHeader(header.key(), value == null ? null : ByteBuffer.wrap(value)));
        }
        return Collections.unmodifiableList(list);
    }

    private static String position(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    @Override
    public TypeInformation<Either<DeadLetter, Sourced<T>>> getProducedType() {
        return producedType(readerClass);
    }
}
