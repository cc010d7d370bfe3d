package dev.substrate.operators.scheduling.state;

/**
 * The scheduler's counters: requests that arrived (their arrival order), the newest health change
 * and capacity report applied (the versions each decision records), and the event time it has
 * decided up to. A Flink POJO.
 */
public class SchedulerClock {

    public long arrivals;
    public long healthVersion;
    public long capacityVersion;
    public long decidedUpTo = Long.MIN_VALUE;

    public SchedulerClock() {}

    public SchedulerClock copy() {
        SchedulerClock c = new SchedulerClock();
        c.arrivals = arrivals;
        c.healthVersion = healthVersion;
        c.capacityVersion = capacityVersion;
        c.decidedUpTo = decidedUpTo;
        return c;
    }
}
