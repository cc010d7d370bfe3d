package dev.substrate.operators.scheduling.state;

/** Why a pending request waits: what must change before it can be placed. */
public enum WaitCause {
    /** Its tenant is at its quota of the accelerator type. */
    QUOTA,
    /** Its tenant's inference token bucket must refill. */
    TOKENS,
    /** No node has room for it. */
    CAPACITY,
    /** Not every member of its gang is submitted yet. */
    GANG
}
