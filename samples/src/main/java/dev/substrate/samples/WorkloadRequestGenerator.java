package dev.substrate.samples;

import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * An endless, deterministic stream of capacity requests and their ends: each request is {@code
 * SUBMITTED}, and later (in event time) {@code COMPLETED} (training, fine-tuning, batch), {@code
 * RELEASED} (inference deployments giving capacity back) or, now and then, {@code CANCELLED}. The
 * end event repeats the request's fields with its own event id.
 *
 * <p>Events come in event-time order, one per {@code meanSpacing} on average. At most {@value
 * #MAX_OPEN_REQUESTS} requests are open at once; beyond that the oldest due ends come early, which
 * keeps memory bounded at any rate.
 */
public final class WorkloadRequestGenerator implements Iterator<WorkloadRequest> {

    static final int MAX_OPEN_REQUESTS = 4096;

    private static final List<WorkloadKind> KINDS =
            List.of(
                    WorkloadKind.INFERENCE,
                    WorkloadKind.TRAINING,
                    WorkloadKind.FINE_TUNING,
                    WorkloadKind.BATCH);
    private static final double[] KIND_WEIGHTS = {50, 15, 15, 20};

    private final long seed;
    private final SampleRandom random;
    private final EventClock clock;
    private final List<String> regions;
    private final String seedTag;
    private final PriorityQueue<OpenRequest> open = new PriorityQueue<>();
    private long submitted;
    private long emitted;

    /** A request that has been submitted and will end at {@code endsAt}. */
    private record OpenRequest(
            long endsAt, long sequence, WorkloadRequest submission, RequestLifecycle end)
            implements Comparable<OpenRequest> {
        @Override
        public int compareTo(OpenRequest other) {
            int byTime = Long.compare(endsAt, other.endsAt);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }

    /** Requests preferring the first two {@link SampleVocabulary#REGIONS} (the default fleet). */
    public WorkloadRequestGenerator(long seed, Instant start, Duration meanSpacing) {
        this(seed, start, meanSpacing, SampleVocabulary.REGIONS.subList(0, 2));
    }

    /**
     * Requests whose preferred region, when they have one, is mostly one of {@code fleetRegions}
     * and sometimes another region (which no capacity may serve).
     */
    public WorkloadRequestGenerator(
            long seed, Instant start, Duration meanSpacing, List<String> fleetRegions) {
        if (fleetRegions.isEmpty()) {
            throw new IllegalArgumentException("fleetRegions must not be empty");
        }
        this.seed = seed;
        this.random = new SampleRandom(seed, "workload-requests");
        this.clock = new EventClock(start, meanSpacing, new SampleRandom(seed, "workload-clock"));
        this.regions = List.copyOf(fleetRegions);
        this.seedTag = SampleRandom.uuid("workload-seed", Long.toString(seed)).substring(0, 6);
    }

    /** Always true: requests keep coming. */
    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public WorkloadRequest next() {
        Instant now = clock.next();
        OpenRequest due = open.peek();
        if (due != null
                && (due.endsAt() <= now.toEpochMilli() || open.size() >= MAX_OPEN_REQUESTS)) {
            open.poll();
            return end(due, now);
        }
        return submit(now);
    }

    private WorkloadRequest submit(Instant now) {
        long sequence = submitted++;
        WorkloadKind kind = random.weighted(KINDS, KIND_WEIGHTS);
        SampleVocabulary.ModelSpec model = pickModel(kind);
        AcceleratorModel accelerator = pickAccelerator(kind, model);
        int gpus = pickGpus(kind);
        double fraction = Math.min(0.95, model.sizeFactor() * 81920 / accelerator.memoryMib());
        long memoryPerGpu =
                Math.max(
                        1024,
                        Math.round(
                                        accelerator.memoryMib()
                                                * Math.max(0.1, fraction * random.between(0.8, 1.0))
                                                / 256)
                                * 256);
        memoryPerGpu = Math.min(memoryPerGpu, accelerator.memoryMib());
        String preferredRegion = null;
        if (random.chance(0.6)) {
            preferredRegion =
                    random.chance(0.9)
                            ? random.pick(regions)
                            : random.pick(SampleVocabulary.REGIONS);
        }
        Instant deadline = null;
        if ((kind == WorkloadKind.BATCH || kind == WorkloadKind.TRAINING) && random.chance(0.5)) {
            deadline = now.plus(Duration.ofMinutes(random.between(120, 48 * 60)));
        }
        WorkloadRequest submission =
                WorkloadRequest.newBuilder()
                        .setEventId(eventId())
                        .setTimestamp(now)
                        .setRequestId(String.format("req-%s-%07d", seedTag, sequence))
                        .setLifecycle(RequestLifecycle.SUBMITTED)
                        .setTenant(random.pick(SampleVocabulary.TENANTS))
                        .setModelName(model.name())
                        .setModelVersion(random.pick(model.versions()))
                        .setKind(kind)
                        .setGpus(gpus)
                        .setMemoryPerGpuMib(memoryPerGpu)
                        .setAcceleratorType(accelerator.acceleratorType())
                        .setPriority(pickPriority(kind))
                        .setPreferredRegion(preferredRegion)
                        .setDeadline(deadline)
                        .build();
        RequestLifecycle end;
        Duration runtime;
        if (random.chance(0.05)) {
            end = RequestLifecycle.CANCELLED;
            runtime = Duration.ofSeconds(random.between(5, 600));
        } else {
            end =
                    kind == WorkloadKind.INFERENCE
                            ? RequestLifecycle.RELEASED
                            : RequestLifecycle.COMPLETED;
            runtime = runtime(kind);
        }
        open.add(new OpenRequest(now.plus(runtime).toEpochMilli(), sequence, submission, end));
        return submission;
    }

    private WorkloadRequest end(OpenRequest request, Instant now) {
        return WorkloadRequest.newBuilder(request.submission())
                .setEventId(eventId())
                .setTimestamp(now)
                .setLifecycle(request.end())
                .build();
    }

    private String eventId() {
        return SampleRandom.uuid("workload-request", Long.toString(seed), Long.toString(emitted++));
    }

    private SampleVocabulary.ModelSpec pickModel(WorkloadKind kind) {
        SampleVocabulary.ModelSpec model = random.pick(SampleVocabulary.MODELS);
        // Pre-training jobs are for the big models.
        if (kind == WorkloadKind.TRAINING && model.sizeFactor() < 0.2) {
            model = SampleVocabulary.MODELS.get(random.chance(0.5) ? 0 : 3);
        }
        return model;
    }

    private AcceleratorModel pickAccelerator(WorkloadKind kind, SampleVocabulary.ModelSpec model) {
        if (kind == WorkloadKind.TRAINING || model.sizeFactor() > 0.5) {
            return random.chance(0.85) ? AcceleratorModel.H100_80GB : AcceleratorModel.A100_40GB;
        }
        return random.weighted(List.of(AcceleratorModel.values()), new double[] {45, 35, 20});
    }

    private int pickGpus(WorkloadKind kind) {
        return switch (kind) {
            case INFERENCE -> random.weighted(List.of(1, 2, 4, 8), new double[] {60, 25, 10, 5});
            case FINE_TUNING -> random.weighted(List.of(1, 2, 4, 8), new double[] {20, 30, 30, 20});
            case TRAINING -> random.weighted(List.of(8, 16, 32, 64), new double[] {40, 30, 20, 10});
            case BATCH -> random.weighted(List.of(1, 2, 4), new double[] {50, 30, 20});
        };
    }

    private int pickPriority(WorkloadKind kind) {
        return switch (kind) {
            case INFERENCE -> random.between(5, 9);
            case FINE_TUNING -> random.between(3, 7);
            case TRAINING -> random.between(2, 6);
            case BATCH -> random.between(0, 3);
        };
    }

    private Duration runtime(WorkloadKind kind) {
        return switch (kind) {
            case INFERENCE -> Duration.ofSeconds(random.between(30, 20 * 60));
            case BATCH -> Duration.ofSeconds(random.between(120, 30 * 60));
            case FINE_TUNING -> Duration.ofSeconds(random.between(10 * 60, 90 * 60));
            case TRAINING -> Duration.ofSeconds(random.between(30 * 60, 6 * 3600));
        };
    }

    /** The number of requests submitted so far (their ids are numbered in this order). */
    public long submitted() {
        return submitted;
    }

    /** Requests submitted whose end has not been emitted yet. */
    public int openRequests() {
        return open.size();
    }
}
