package dev.substrate.operators.scheduling.state;

import dev.substrate.events.WorkloadKind;
import dev.substrate.events.WorkloadRequest;
import javax.annotation.Nullable;

/**
 * One request as the scheduler tracks it from submission until it is forgotten: what it asks for,
 * where it is in its life, what it holds, and the event times its timers are due. Keyed map state
 * of the scheduler (key: request id). A Flink POJO.
 */
public class RequestBook {

    public static final long NONE = Long.MIN_VALUE;

    public String requestId;
    public String tenant;
    public String modelName;
    public String modelVersion;
    public WorkloadKind kind;
    public String acceleratorType;
    public String preferredRegion;
    public String gangId;
    public int gangSize = 1;
    public int gpus;
    public int priority;
    public long memoryPerGpuMib;

    /** Inference token rate, or -1 when the request gives none. */
    public long tokensPerMinute = -1;

    public long deadline = NONE;
    public long submittedAt;

    /** Arrival order within the scheduler: the last tie-break of the queue. */
    public long arrival;

    public RequestPhase phase = RequestPhase.PENDING;
    public WaitCause waiting;
    public Target[] targets = new Target[0];
    public long placedAt = NONE;
    public long queuedSince = NONE;

    /** When an unstarted placement expires, a token wait retries, or an ended request goes. */
    public long expiresAt = NONE;

    public long retryAt = NONE;
    public long forgetAt = NONE;

    /** The workload runs on its current placement (a STARTED event came after it). */
    public boolean started;

    /** Its owner sent STARTED: a later placement (after preemption or failover) needs none. */
    public boolean ready;

    /** Decisions made so far: numbers the next one. */
    public int decisions;

    public RequestBook() {}

    /** The book of a request submitted with {@code submission}, arriving {@code arrival}-th. */
    public static RequestBook of(WorkloadRequest submission, long arrival) {
        RequestBook b = new RequestBook();
        b.requestId = submission.getRequestId();
        b.tenant = submission.getTenant();
        b.modelName = submission.getModelName();
        b.modelVersion = submission.getModelVersion();
        b.kind = submission.getKind();
        b.acceleratorType = submission.getAcceleratorType();
        b.preferredRegion = submission.getPreferredRegion();
        b.gangId = submission.getGangSize() > 1 ? submission.getGangId() : null;
        b.gangSize = Math.max(1, submission.getGangSize());
        b.gpus = submission.getGpus();
        b.priority = submission.getPriority();
        b.memoryPerGpuMib = submission.getMemoryPerGpuMib();
        Long tokens = submission.getTokensPerMinute();
        b.tokensPerMinute = tokens == null ? -1 : tokens;
        b.deadline =
                submission.getDeadline() == null ? NONE : submission.getDeadline().toEpochMilli();
        b.submittedAt = submission.getTimestamp().toEpochMilli();
        b.arrival = arrival;
        return b;
    }

    /** Inference requests of the same model and version on one node share its warm weights. */
    @Nullable
    public String modelKey() {
        return kind == WorkloadKind.INFERENCE ? modelName + "@" + modelVersion : null;
    }

    public boolean inference() {
        return kind == WorkloadKind.INFERENCE;
    }

    public boolean inGang() {
        return gangId != null;
    }

    public Target[] copyTargets() {
        Target[] copy = new Target[targets.length];
        for (int i = 0; i < targets.length; i++) {
            copy[i] = targets[i].copy();
        }
        return copy;
    }

    public RequestBook copy() {
        RequestBook c = new RequestBook();
        c.requestId = requestId;
        c.tenant = tenant;
        c.modelName = modelName;
        c.modelVersion = modelVersion;
        c.kind = kind;
        c.acceleratorType = acceleratorType;
        c.preferredRegion = preferredRegion;
        c.gangId = gangId;
        c.gangSize = gangSize;
        c.gpus = gpus;
        c.priority = priority;
        c.memoryPerGpuMib = memoryPerGpuMib;
        c.tokensPerMinute = tokensPerMinute;
        c.deadline = deadline;
        c.submittedAt = submittedAt;
        c.arrival = arrival;
        c.phase = phase;
        c.waiting = waiting;
        c.targets = copyTargets();
        c.placedAt = placedAt;
        c.queuedSince = queuedSince;
        c.expiresAt = expiresAt;
        c.retryAt = retryAt;
        c.forgetAt = forgetAt;
        c.started = started;
        c.ready = ready;
        c.decisions = decisions;
        return c;
    }
}
