package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryException;
import dev.substrate.schemas.wire.AvroWireEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The live load of {@link SchedulingLatencyBenchmark}, in the wire format, each record stamped with
 * the wall clock as it is sent (its event time):
 *
 * <ul>
 *   <li>the fleet ({@link BenchFleet}, as {@code PlacementBenchmark}'s): every GPU read once up
 *       front ({@link #announceFleet}) and then again every {@code readEveryMs}, evenly spread, so
 *       no node goes DOWN (heartbeat) and no GPU's telemetry goes stale while the run lasts;
 *   <li>workload requests at a fixed rate: slot {@code 2k} submits request {@code r<k>} (every
 *       fourth a 2-GPU training request, the others 1-GPU inference, 8 tenants, preferred region
 *       round-robin), slot {@code 2(k + lag) + 1} completes it, so the fleet never fills up (see
 *       {@link DecisionLedger}). The broker's append time of each request comes back with its
 *       acknowledgement (the topic stamps {@code LogAppendTime}) and goes into the ledger.
 * </ul>
 *
 * A sender that falls behind its schedule catches up without sleeping; {@link #maxBehindMillis()}
 * says how far behind it fell.
 */
final class SchedulingLoad implements AutoCloseable {

    static final int TENANTS = 8;
    static final String MODEL = "llama-3.1-8b";

    private final BenchFleet fleet;
    private final int rate;
    private final long readEveryMs;
    private final DecisionLedger ledger;
    private final KafkaProducer<byte[], byte[]> fleetKafka;
    private final KafkaProducer<byte[], byte[]> requestKafka;
    private final AvroWireEncoder samples;
    private final AvroWireEncoder requests;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Thread fleetThread;
    private final Thread requestThread;
    private volatile boolean running = true;
    private volatile int nextSlot;
    private volatile long maxBehindMillis;

    SchedulingLoad(
            String bootstrap,
            SchemaRegistryClient registry,
            BenchFleet fleet,
            int rate,
            long readEveryMs,
            DecisionLedger ledger)
            throws SchemaRegistryException {
        this.fleet = fleet;
        this.rate = rate;
        this.readEveryMs = readEveryMs;
        this.ledger = ledger;
        this.samples =
                AvroWireEncoder.register(
                        registry, EventType.GPU_SAMPLE.subject(), EventType.GPU_SAMPLE.schema());
        this.requests =
                AvroWireEncoder.register(
                        registry,
                        EventType.WORKLOAD_REQUEST.subject(),
                        EventType.WORKLOAD_REQUEST.schema());
        this.fleetKafka = LiveSampleProducer.unbatched(bootstrap, "substrate-bench-fleet");
        this.requestKafka = LiveSampleProducer.unbatched(bootstrap, "substrate-bench-requests");
        this.fleetThread = new Thread(this::refreshFleet, "bench-fleet");
        this.requestThread = new Thread(this::sendRequests, "bench-requests");
        fleetThread.setDaemon(true);
        requestThread.setDaemon(true);
    }

    /** Reads every GPU once and waits until Kafka acknowledged them all. */
    void announceFleet() {
        for (int gpu = 0; gpu < fleet.gpus(); gpu++) {
            sendReading(gpu);
        }
        fleetKafka.flush();
        throwIfFailed();
    }

    /** Starts the fleet's periodic readings and the requests at the fixed rate. */
    void start() {
        fleetThread.start();
        requestThread.start();
    }

    /** The slot the request sender will fill next. */
    int nextSlot() {
        return nextSlot;
    }

    /** How far (ms) the request sender fell behind its schedule at worst. */
    long maxBehindMillis() {
        return maxBehindMillis;
    }

    void throwIfFailed() {
        Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("Kafka refused a benchmark record: " + e, e);
        }
    }

    private void refreshFleet() {
        long period = Math.max(1, TimeUnit.MILLISECONDS.toNanos(readEveryMs) / fleet.gpus());
        long next = System.nanoTime();
        for (int gpu = 0; running; gpu = (gpu + 1) % fleet.gpus()) {
            next += period;
            pace(next, false);
            sendReading(gpu);
        }
    }

    private void sendRequests() {
        long period = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        for (int slot = 0; running && slot < ledger.slots(); slot++) {
            pace(next, true);
            next += period;
            long k = ledger.requestOf(slot);
            nextSlot = slot + 1;
            if (k >= 0) {
                sendRequest(slot, k, slot % 2 == 0);
            }
        }
    }

    private void pace(long at, boolean measureBehind) {
        long wait = at - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        } else if (measureBehind) {
            maxBehindMillis = Math.max(maxBehindMillis, -wait / 1_000_000);
        }
    }

    private void sendReading(int gpu) {
        int n = gpu / BenchFleet.GPUS_PER_NODE;
        GpuSample sample =
                fleet.reading(
                        n,
                        gpu % BenchFleet.GPUS_PER_NODE,
                        Instant.ofEpochMilli(System.currentTimeMillis()));
        // Keyed by node: a node's readings stay in order on one partition.
        fleetKafka.send(
                new ProducerRecord<>(
                        EventType.GPU_SAMPLE.topic(),
                        (fleet.cluster(n) + "/" + fleet.node(n)).getBytes(StandardCharsets.UTF_8),
                        samples.encode(sample)),
                (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
    }

    private void sendRequest(int slot, long k, boolean submission) {
        String id = DecisionLedger.requestId(k);
        RequestLifecycle lifecycle =
                submission ? RequestLifecycle.SUBMITTED : RequestLifecycle.COMPLETED;
        boolean training = k % 4 == 3;
        long now = System.currentTimeMillis();
        WorkloadRequest request =
                WorkloadRequest.newBuilder()
                        .setEventId(id + ":" + lifecycle)
                        .setTimestamp(Instant.ofEpochMilli(now))
                        .setRequestId(id)
                        .setLifecycle(lifecycle)
                        .setTenant("tenant-" + (k % TENANTS))
                        .setModelName(MODEL)
                        .setModelVersion("3.1.0")
                        .setKind(training ? WorkloadKind.TRAINING : WorkloadKind.INFERENCE)
                        .setGpus(training ? 2 : 1)
                        .setMemoryPerGpuMib(20_480)
                        .setAcceleratorType(BenchFleet.H100)
                        .setPriority(5)
                        .setPreferredRegion("region-" + (k % 4))
                        .setDeadline(null)
                        .build();
        ledger.sent(slot, now);
        // Keyed by request: its submission and completion stay in order on one partition.
        requestKafka.send(
                new ProducerRecord<>(
                        EventType.WORKLOAD_REQUEST.topic(),
                        id.getBytes(StandardCharsets.UTF_8),
                        requests.encode(request)),
                (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    } else {
                        ledger.appended(slot, metadata.timestamp());
                    }
                });
    }

    /** Stops both senders and waits until Kafka acknowledged what they sent. */
    void stop() throws InterruptedException {
        running = false;
        requestThread.join(TimeUnit.SECONDS.toMillis(10));
        fleetThread.join(TimeUnit.SECONDS.toMillis(10));
        requestKafka.flush();
        fleetKafka.flush();
    }

    @Override
    public void close() throws InterruptedException {
        if (running) {
            stop();
        }
        requestKafka.close();
        fleetKafka.close();
    }
}
