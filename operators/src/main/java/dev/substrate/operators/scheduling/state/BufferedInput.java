package dev.substrate.operators.scheduling.state;

import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.FleetSignal;

/**
 * An input the scheduler holds until event time passes it: a request or a fleet signal (one is
 * null), and the wall-clock time it arrived (for the decision's processing latency). A Flink POJO.
 */
public class BufferedInput {

    public WorkloadRequest request;
    public FleetSignal signal;
    public long arrivedAt;

    public BufferedInput() {}

    public static BufferedInput of(WorkloadRequest request, long arrivedAt) {
        BufferedInput in = new BufferedInput();
        in.request = request;
        in.arrivedAt = arrivedAt;
        return in;
    }

    public static BufferedInput of(FleetSignal signal, long arrivedAt) {
        BufferedInput in = new BufferedInput();
        in.signal = signal;
        in.arrivedAt = arrivedAt;
        return in;
    }
}
