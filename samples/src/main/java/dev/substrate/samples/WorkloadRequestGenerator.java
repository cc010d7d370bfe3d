package dev.substrate.samples;

import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * An endless, deterministic stream of capacity requests and their lives: each request is {@code
 * SUBMITTED}, most are {@code STARTED} a few seconds later (the rest let their reservation expire),
 * and later (in event time) {@code COMPLETED} (training, fine-tuning, batch), {@code RELEASED}
 * (inference deployments giving capacity back) or, now and then, {@code CANCELLED}. Every later
 * event repeats the request's fields with its own event id.
 *
 * <p>So that a local run shows every kind of scheduling decision: training of 16 GPUs or more comes
 * as a gang of 8-GPU workers (one request each, placed all or nothing); inference carries a token
 * rate for the tenants' token buckets; the largest training jobs exceed most tenants' quotas
 * (rejected or queued); some requests prefer a region the fleet does not have (rerouted); and
 * urgent inference arrives while batch work fills the GPUs (preemption).
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

    /** Gang workers submitted after their gang's first, one per call. */
    private final ArrayDeque<WorkloadRequest> gangMembers = new ArrayDeque<>();

    private long submitted;
    private long emitted;

    /**
     * A request that has been submitted: its next event, {@code next}, is due at {@code dueAt}; a
     * STARTED event is followed by {@code end} at {@code endsAt}.
     */
    private record OpenRequest(
            long dueAt,
            long sequence,
            WorkloadRequest submission,
            RequestLifecycle next,
            long endsAt,
            RequestLifecycle end)
            implements Comparable<OpenRequest> {
        @Override
        public int compareTo(OpenRequest other) {
            int byTime = Long.compare(dueAt, other.dueAt);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }

        OpenRequest ending() {
            return new OpenRequest(endsAt, sequence, submission, end, endsAt, end);
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
        if (!gangMembers.isEmpty()) {
            return WorkloadRequest.newBuilder(gangMembers.poll()).setTimestamp(now).build();
        }
        OpenRequest due = open.peek();
        if (due != null
                && (due.dueAt() <= now.toEpochMilli() || open.size() >= MAX_OPEN_REQUESTS)) {
            open.poll();
            if (due.next() == RequestLifecycle.STARTED) {
                open.add(due.ending());
            }
            return next(due, now);
        }
        return submit(now);
    }

    private WorkloadRequest submit(Instant now) {
        long sequence = submitted++;
        WorkloadKind kind = random.weighted(KINDS, KIND_WEIGHTS);
        SampleVocabulary.ModelSpec model = pickModel(kind);
        AcceleratorModel accelerator = pickAccelerator(kind, model);
        int gpus = pickGpus(kind);
        // Big training comes as a gang of 8-GPU workers, all placed or none.
        int gangSize = kind == WorkloadKind.TRAINING && gpus >= 16 ? gpus / 8 : 1;
        if (gangSize > 1) {
            gpus = 8;
        }
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
                        .setGangId(
                                gangSize > 1
                                        ? String.format("gang-%s-%07d", seedTag, sequence)
                                        : null)
                        .setGangSize(gangSize)
                        .setTokensPerMinute(
                                kind == WorkloadKind.INFERENCE
                                        ? (long) gpus * random.between(2_000, 30_000)
                                        : null)
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
        // Most workloads start on what they were given; the rest let the reservation expire.
        boolean starts = random.chance(0.9);
        long startsAt = now.toEpochMilli() + 1_000L * random.between(2, 20);
        long endsAt = Math.max(now.plus(runtime).toEpochMilli(), startsAt + 1);
        open(sequence, submission, starts, startsAt, endsAt, end);
        for (int worker = 1; worker < gangSize; worker++) {
            long memberSequence = submitted++;
            WorkloadRequest member =
                    WorkloadRequest.newBuilder(submission)
                            .setEventId(eventId())
                            .setRequestId(String.format("req-%s-%07d", seedTag, memberSequence))
                            .build();
            gangMembers.add(member);
            open(memberSequence, member, starts, startsAt, endsAt, end);
        }
        return submission;
    }

    private void open(
            long sequence,
            WorkloadRequest submission,
            boolean starts,
            long startsAt,
            long endsAt,
            RequestLifecycle end) {
        open.add(
                starts
                        ? new OpenRequest(
                                startsAt,
                                sequence,
                                submission,
                                RequestLifecycle.STARTED,
                                endsAt,
                                end)
                        : new OpenRequest(endsAt, sequence, submission, end, endsAt, end));
    }

    private WorkloadRequest next(OpenRequest request, Instant now) {
        return WorkloadRequest.newBuilder(request.submission())
                .setEventId(eventId())
                .setTimestamp(now)
                .setLifecycle(request.next())
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

    /** Requests submitted whose end has not been emitted yet (gang workers included). */
    public int openRequests() {
        return open.size();
    }
}
