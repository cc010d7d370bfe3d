package dev.substrate.samples;

import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.schemas.registry.SchemaRegistration;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends sample events to Kafka in the Confluent wire format, the way real producers would: every
 * schema registered under its topic's subject, a share of the telemetry still written with the old
 * GpuSample v1 schema, and a controlled fraction of broken records of every kind that the ingest
 * must dead-letter. {@link #report()} says exactly what Kafka acknowledged.
 *
 * <pre>{@code
 * try (var producer = new SampleEventProducer("127.0.0.1:9092", registryClient, 42, 0.01)) {
 *     ProducerReport sent = producer.send(10_000);
 * }
 * }</pre>
 */
public final class SampleEventProducer implements AutoCloseable {

    /** Share of telemetry samples sent with the v1 schema, as a fleet mid-upgrade would. */
    static final double GPU_SAMPLE_V1_SHARE = 0.3;

    /** A schema id that no registry hands out in a sample run. */
    static final int UNREGISTERED_SCHEMA_ID = 987_654_321;

    /** Registered under its own subject: its id is real, but no input type resolves from it. */
    static final Schema FOREIGN_SCHEMA =
            new Schema.Parser()
                    .parse(
                            "{\"type\":\"record\",\"name\":\"LegacyPing\",\"namespace\":"
                                    + "\"dev.substrate.samples\",\"fields\":["
                                    + "{\"name\":\"host\",\"type\":\"string\"},"
                                    + "{\"name\":\"latency_ms\",\"type\":\"int\"}]}");

    private static final List<DeadLetterReason> BAD_KINDS =
            List.of(
                    DeadLetterReason.NOT_WIRE_FORMAT,
                    DeadLetterReason.UNKNOWN_SCHEMA_ID,
                    DeadLetterReason.AVRO_DECODE_FAILED,
                    DeadLetterReason.SCHEMA_RESOLUTION_FAILED);

    private final KafkaProducer<byte[], byte[]> kafka;
    private final Map<EventType, AvroWireEncoder> encoders = new EnumMap<>(EventType.class);
    private final AvroWireEncoder gpuSampleV1;
    private final AvroWireEncoder foreign;
    private final long seed;
    private final double badFraction;
    private final Random random;
    private final Instant eventTimeStart;
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();

    private final Map<EventType, Long> good = new EnumMap<>(EventType.class);
    private final Map<DeadLetterReason, Long> bad = new EnumMap<>(DeadLetterReason.class);
    private long gpuSamplesAsV1;
    // Only the sending thread touches this; it picks the kind of the next broken record.
    private long badSent;
    private Map<EventType, Set<String>> sentIds;
    private Iterator<GpuSample> replayFirst = Collections.emptyIterator();
    private boolean withoutGpuSamples;

    /** A producer whose sample events start at the mix's fixed default time (reproducible). */
    public SampleEventProducer(
            String bootstrapServers, SchemaRegistryClient registry, long seed, double badFraction)
            throws SchemaRegistryException {
        this(bootstrapServers, registry, seed, badFraction, null);
    }

    /**
     * @param eventTimeStart event time of the first sample, or null for the mix's default
     */
    public SampleEventProducer(
            String bootstrapServers,
            SchemaRegistryClient registry,
            long seed,
            double badFraction,
            Instant eventTimeStart)
            throws SchemaRegistryException {
        if (badFraction < 0 || badFraction >= 1) {
            throw new IllegalArgumentException("badFraction must be in [0, 1), was " + badFraction);
        }
        this.seed = seed;
        this.badFraction = badFraction;
        this.random = new Random(seed);
        this.eventTimeStart = eventTimeStart;
        // Older versions first, as a real upgrade registers them, so each version keeps its id.
        List<Schema> gpuVersions = SchemaHistory.versions("GpuSample");
        gpuSampleV1 =
                SchemaRegistration.register(
                        registry, EventType.GPU_SAMPLE.subject(), gpuVersions.get(0));
        for (EventType type : EventType.inputs()) {
            encoders.put(
                    type, SchemaRegistration.register(registry, type.subject(), type.schema()));
        }
        foreign =
                SchemaRegistration.register(
                        registry, "substrate.samples.legacy-ping-value", FOREIGN_SCHEMA);
        kafka =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrapServers,
                                ProducerConfig.ACKS_CONFIG,
                                "all",
                                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                true,
                                ProducerConfig.LINGER_MS_CONFIG,
                                5,
                                ProducerConfig.CLIENT_ID_CONFIG,
                                "substrate-sample-producer"),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
    }

    /**
     * Sends these real telemetry samples (the H100 trace replay) before the generated mix; they
     * count as good GPU samples within the totals asked of {@link #send} and {@link #streamAt}.
     */
    public void replayFirst(Iterator<GpuSample> samples) {
        replayFirst = samples;
    }

    /**
     * Sends no GPU samples of its own: real telemetry comes from somewhere else ({@code substrate
     * collect}); requests, audit and enterprise events still come from the mix.
     */
    public void withoutGpuSamples() {
        withoutGpuSamples = true;
    }

    /** Remember every good event id sent, per type (for tests that compare whole tables). */
    public synchronized void trackEventIds() {
        sentIds = new EnumMap<>(EventType.class);
        for (EventType type : EventType.inputs()) {
            sentIds.put(type, new HashSet<>());
        }
    }

    /** The event ids sent so far, when {@link #trackEventIds()} was called first. */
    public synchronized Map<EventType, Set<String>> sentEventIds() {
        return sentIds;
    }

    /**
     * Sends exactly {@code goodEvents} good events plus the broken ones the bad fraction asks for,
     * waits until Kafka acknowledged all of them and returns the running totals.
     */
    public ProducerReport send(long goodEvents) {
        long replayed = 0;
        while (replayed < goodEvents && replayFirst.hasNext()) {
            sendOne(SampleEvent.of(replayFirst.next()));
            replayed++;
        }
        SampleMix mix = newMix(withoutGpuSamples ? Long.MAX_VALUE : goodEvents - replayed);
        for (long sent = replayed; sent < goodEvents; ) {
            SampleEvent event = mix.next();
            if (!skipped(event)) {
                sendOne(event);
                sent++;
            }
        }
        flush();
        return report();
    }

    /**
     * Sends events at about {@code eventsPerSecond} until {@code stop} opens, then flushes. Used by
     * the local run, from its own thread.
     */
    public void streamAt(int eventsPerSecond, CountDownLatch stop) {
        SampleMix mix = newMix(Long.MAX_VALUE);
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, eventsPerSecond);
        long next = System.nanoTime();
        try {
            while (stop.getCount() > 0) {
                SampleEvent event =
                        replayFirst.hasNext() ? SampleEvent.of(replayFirst.next()) : mix.next();
                if (skipped(event)) {
                    continue;
                }
                sendOne(event);
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait > 0 && stop.await(wait, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            flush();
        }
    }

    private SampleMix newMix(long total) {
        SampleMix.Config config = SampleMix.Config.of(seed, total);
        return new SampleMix(eventTimeStart == null ? config : config.withStart(eventTimeStart));
    }

    private boolean skipped(SampleEvent event) {
        return withoutGpuSamples && event.type() == EventType.GPU_SAMPLE;
    }

    private void sendOne(SampleEvent event) {
        if (random.nextDouble() < badFraction) {
            sendBad(event);
        }
        boolean asV1 =
                event.type() == EventType.GPU_SAMPLE && random.nextDouble() < GPU_SAMPLE_V1_SHARE;
        byte[] value =
                asV1
                        ? gpuSampleV1.encode(
                                asV1((GpuSample) event.record(), gpuSampleV1.writerSchema()))
                        : encoders.get(event.type()).encode(event.record());
        String id = eventId(event.record());
        send(
                event.type().topic(),
                event.key(),
                value,
                () -> {
                    good.merge(event.type(), 1L, Long::sum);
                    if (asV1) {
                        gpuSamplesAsV1++;
                    }
                    if (sentIds != null) {
                        sentIds.get(event.type()).add(id);
                    }
                });
    }

    /** One broken record on the same topic as {@code event}, of the next kind in turn. */
    private void sendBad(SampleEvent event) {
        DeadLetterReason reason = BAD_KINDS.get((int) (badSent % BAD_KINDS.size()));
        byte[] good = encoders.get(event.type()).encode(event.record());
        byte[] value =
                switch (reason) {
                    case NOT_WIRE_FORMAT -> notWireFormat(event, good);
                    case UNKNOWN_SCHEMA_ID ->
                            AvroWireEncoder.forSchemaId(
                                            UNREGISTERED_SCHEMA_ID, event.record().getSchema())
                                    .encode(event.record());
                    // Cut inside the payload: the header is fine, the Avro ends too early.
                    case AVRO_DECODE_FAILED -> Arrays.copyOf(good, 5 + (good.length - 5) / 2);
                    case SCHEMA_RESOLUTION_FAILED -> foreign.encode(legacyPing(event));
                    default -> throw new IllegalStateException("not a sample kind: " + reason);
                };
        badSent++;
        send(event.type().topic(), event.key(), value, () -> bad.merge(reason, 1L, Long::sum));
    }

    /** Rotates through the ways a value is not the wire format at all. */
    private byte[] notWireFormat(SampleEvent event, byte[] good) {
        return switch ((int) ((badSent / BAD_KINDS.size()) % 4)) {
            case 0 ->
                    ("{\"event_id\":\"" + eventId(event.record()) + "\",\"as\":\"json\"}")
                            .getBytes(StandardCharsets.UTF_8);
            case 1 -> new byte[0];
            case 2 -> new byte[] {0, 0, 1};
            default -> {
                byte[] wrongMagic = good.clone();
                wrongMagic[0] = 1;
                yield wrongMagic;
            }
        };
    }

    private GenericRecord legacyPing(SampleEvent event) {
        GenericRecord ping = new GenericData.Record(FOREIGN_SCHEMA);
        ping.put("host", event.key());
        ping.put("latency_ms", 12);
        return ping;
    }

    /** The same reading as a v1 producer writes it: the v2-only fields do not exist there. */
    static GenericRecord asV1(GpuSample sample, Schema v1) {
        GenericRecord record = new GenericData.Record(v1);
        for (Schema.Field field : v1.getFields()) {
            record.put(field.name(), sample.get(field.name()));
        }
        return record;
    }

    private static String eventId(SpecificRecord record) {
        return String.valueOf(record.get(record.getSchema().getField("event_id").pos()));
    }

    /** Sends one record; {@code onAck} counts it once Kafka has acknowledged it. */
    private void send(String topic, String key, byte[] value, Runnable onAck) {
        kafka.send(
                new ProducerRecord<>(
                        topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value),
                (metadata, error) -> {
                    if (error != null) {
                        firstFailure.compareAndSet(null, error);
                        return;
                    }
                    synchronized (this) {
                        onAck.run();
                    }
                });
    }

    /** Waits until Kafka acknowledged everything sent; a failed send fails here, loudly. */
    private void flush() {
        kafka.flush();
        Exception failure = firstFailure.get();
        if (failure != null) {
            throw new IllegalStateException(
                    "Kafka refused a sample record: " + failure.getMessage(), failure);
        }
    }

    /** Everything Kafka has acknowledged so far. */
    public synchronized ProducerReport report() {
        return new ProducerReport(good, gpuSamplesAsV1, bad);
    }

    @Override
    public void close() {
        kafka.close();
    }
}
