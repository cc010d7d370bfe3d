package dev.substrate.operators.windows;

import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/** The event-time timestamp the window operators of this package require of every input. */
final class InputTimestamps {

    private InputTimestamps() {}

    /**
     * The input's timestamp; an input without one fails with a message naming the operator, since a
     * timestamp is assigned once at ingest and an input without one means the job is wired wrong.
     */
    static long of(StreamRecord<?> element, String operatorName) {
        if (!element.hasTimestamp()) {
            throw new IllegalStateException(
                    "An input of "
                            + operatorName
                            + " has no timestamp: assign timestamps and watermarks before it");
        }
        return element.getTimestamp();
    }
}
