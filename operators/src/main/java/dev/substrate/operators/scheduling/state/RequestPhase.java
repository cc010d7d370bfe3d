package dev.substrate.operators.scheduling.state;

/** Where a request is in its life with the scheduler. */
public enum RequestPhase {
    /** Waiting: queued, preempted, or a gang member waiting for its gang. */
    PENDING,
    /** Holding GPUs. */
    PLACED,
    /** Released or rejected: nothing more will be decided; kept a while for late events. */
    ENDED
}
