package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import dev.substrate.samples.SampleEvent;
import dev.substrate.samples.SampleMix;
import dev.substrate.samples.SyntheticFleet;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.sources.telemetry.GpuSampleIds;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces the sample mix live, at a fixed rate, with event time = the wall clock at the moment of
 * sending: every record's timestamp field is set to {@code System.currentTimeMillis()} just before
 * it is handed to Kafka, so "alert time − triggering sample's event time" is the pipeline's
 * latency. All records are valid and written with the current schemas (the pre-load already covers
 * broken records and GpuSample v1).
 *
 * <p>The fleet is sized for the rate so each GPU is read about every {@value #READ_EVERY_MS} ms, as
 * {@code nvidia-smi -lms 250} does: the anomaly baselines warm up (30 readings) within seconds and
 * phase changes (idle → training) raise anomalies at a steady rate. The fleet's own XIDs are rare
 * (a few per minute), so once a second the next GPU sample of a GPU not yet chosen carries an
 * application XID ({@link #INJECTED_XIDS}: a reason on its node, no node action): each one changes
 * that node's health reasons, so node-health records come at a steady rate too.
 */
final class LiveSampleProducer implements AutoCloseable {

    static final long READ_EVERY_MS = 250;

    /** Application XIDs (graphics engine exception, MMU fault, ...): reasons, no node action. */
    static final int[] INJECTED_XIDS = {13, 31, 43, 45};

    private static final long INJECT_EVERY_MS = 1000;

    private final KafkaProducer<byte[], byte[]> kafka;
    private final Map<EventType, AvroWireEncoder> encoders = new EnumMap<>(EventType.class);
    private final Map<EventType, Integer> timestampPos = new EnumMap<>(EventType.class);
    private final SyntheticFleet.Config fleet;
    private final long seed;
    private final int eventsPerSecond;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
    private final Set<String> injectedGpus = new HashSet<>();
    private long injected;
    private long nextInjectionAt;
    private long maxBehindMillis;

    LiveSampleProducer(
            String bootstrap, SchemaRegistryClient registry, long seed, int eventsPerSecond)
            throws SchemaRegistryException {
        if (eventsPerSecond < 1) {
            throw new IllegalArgumentException("rate must be at least 1/s: " + eventsPerSecond);
        }
        this.seed = seed;
        this.eventsPerSecond = eventsPerSecond;
        for (EventType type : EventType.inputs()) {
            // Already registered by the pre-load: this finds the ids.
            encoders.put(type, AvroWireEncoder.register(registry, type.subject(), type.schema()));
            timestampPos.put(type, type.schema().getField(type.timestampField()).pos());
        }
        this.fleet = fleetFor(eventsPerSecond, seed);
        this.kafka = unbatched(bootstrap, "substrate-bench-live");
    }

    /**
     * A producer that sends each record as soon as it is handed over (no linger: no batching delay
     * counted as latency), idempotent, acknowledged by all replicas.
     */
    static KafkaProducer<byte[], byte[]> unbatched(String bootstrap, String clientId) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.LINGER_MS_CONFIG,
                        0,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        clientId),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    /**
     * 2 regions × 2 clusters × n nodes × 8 GPUs, n chosen so each GPU is read about every {@link
     * #READ_EVERY_MS} ms at the GPU-sample share of {@code eventsPerSecond}.
     */
    static SyntheticFleet.Config fleetFor(int eventsPerSecond, long seed) {
        double gpuSamplesPerSecond = eventsPerSecond * SampleMix.SHARES.get(EventType.GPU_SAMPLE);
        int gpusPerNode = 8;
        int clusters = 4;
        int nodesPerCluster =
                (int)
                        Math.max(
                                1,
                                Math.round(
                                        gpuSamplesPerSecond
                                                * READ_EVERY_MS
                                                / 1000.0
                                                / (clusters * gpusPerNode)));
        int gpus = clusters * nodesPerCluster * gpusPerNode;
        long intervalMillis = Math.max(1, Math.round(gpus * 1000.0 / gpuSamplesPerSecond));
        return new SyntheticFleet.Config(
                2,
                2,
                nodesPerCluster,
                gpusPerNode,
                seed,
                Duration.ofMillis(intervalMillis),
                Instant.now());
    }

    SyntheticFleet.Config fleet() {
        return fleet;
    }

    /**
     * Sends at the fixed rate for {@code duration}, then waits until Kafka acknowledged everything.
     * A sender that falls behind its schedule catches up without sleeping; {@link
     * #maxBehindMillis()} says how far behind it fell.
     *
     * @return the number of records acknowledged
     */
    long run(Duration duration) {
        SampleMix mix =
                new SampleMix(
                        new SampleMix.Config(seed, Long.MAX_VALUE, fleet.withStart(Instant.now())));
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / eventsPerSecond;
        nextInjectionAt = System.currentTimeMillis() + INJECT_EVERY_MS;
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long next = start;
        while (next < end) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else {
                maxBehindMillis = Math.max(maxBehindMillis, -wait / 1_000_000);
            }
            send(mix.next());
            next += periodNanos;
        }
        kafka.flush();
        Exception failure = firstFailure.get();
        if (failure != null) {
            throw new IllegalStateException("Kafka refused a live sample: " + failure, failure);
        }
        return acknowledged.get();
    }

    /** How many samples carried an injected XID. */
    long injectedXids() {
        return injected;
    }

    /** How far (ms) the sender fell behind its schedule at worst (a loaded machine). */
    long maxBehindMillis() {
        return maxBehindMillis;
    }

    private void send(SampleEvent event) {
        SpecificRecord record = event.record();
        Instant now = Instant.ofEpochMilli(System.currentTimeMillis());
        record.put(timestampPos.get(event.type()), now);
        if (record instanceof GpuSample sample) {
            // The id is derived from the reading's time: keep it consistent with the new time.
            sample.setEventId(GpuSampleIds.eventId(sample.getGpuUuid(), now));
            maybeInjectXid(sample, now.toEpochMilli());
        }
        byte[] value = encoders.get(event.type()).encode(record);
        kafka.send(
                new ProducerRecord<>(
                        event.type().topic(), event.key().getBytes(StandardCharsets.UTF_8), value),
                (metadata, error) -> {
                    if (error != null) {
                        firstFailure.compareAndSet(null, error);
                    } else {
                        acknowledged.incrementAndGet();
                    }
                });
    }

    /**
     * Every {@link #INJECT_EVERY_MS}, an application XID on a GPU not chosen since the code last
     * changed: a (GPU, code) pair already among its node's reasons would change nothing.
     */
    private void maybeInjectXid(GpuSample sample, long now) {
        if (now < nextInjectionAt
                || sample.getXid() != 0
                || !injectedGpus.add(sample.getGpuUuid())) {
            return;
        }
        int round = (int) (injected / fleet.totalGpus());
        sample.setXid(INJECTED_XIDS[round % INJECTED_XIDS.length]);
        injected++;
        if (injected % fleet.totalGpus() == 0) {
            injectedGpus.clear();
        }
        nextInjectionAt += INJECT_EVERY_MS;
    }

    @Override
    public void close() {
        kafka.close();
    }
}
