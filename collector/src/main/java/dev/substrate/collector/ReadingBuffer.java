package dev.substrate.collector;

import dev.substrate.collector.input.ReadingSink;
import dev.substrate.events.GpuSample;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded buffer between the inputs and Kafka. At most {@code capacity} readings wait here, and
 * at most {@code maxInFlight} are out with the Kafka producer, not yet acknowledged; every reading
 * is counted in exactly one of waiting, in flight, delivered and dropped, under one lock, so a
 * {@link #counts()} snapshot never misses a reading on its way. When Kafka is away for longer than
 * the buffer lasts, the <b>oldest</b> waiting reading is dropped for each new one.
 *
 * <p>Why the oldest: the readings that matter after an outage are the recent ones (health and
 * capacity are about now), and the job puts readings that arrive later than its allowed lateness
 * into {@code late_events} instead of the windows, so old readings kept instead of new ones would
 * mostly land there. Inputs never wait for Kafka, so nvidia-smi's pipe never fills up and a scrape
 * never stalls.
 */
final class ReadingBuffer implements ReadingSink {

    /** Readings waiting, out with Kafka, and dropped so far. */
    record Counts(int waiting, int inFlight, long dropped) {}

    private final int capacity;
    private final int maxInFlight;
    private final ArrayDeque<GpuSample> waiting;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private int inFlight;
    private long dropped;

    ReadingBuffer(int capacity, int maxInFlight) {
        if (capacity < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException(
                    "The buffer needs room for at least one reading waiting and one in flight");
        }
        this.capacity = capacity;
        this.maxInFlight = maxInFlight;
        this.waiting = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /** Adds the newest reading; when full, drops the oldest waiting one to make room. */
    @Override
    public void accept(GpuSample reading) {
        lock.lock();
        try {
            if (waiting.size() == capacity) {
                waiting.pollFirst();
                dropped++;
            }
            waiting.addLast(reading);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the oldest waiting reading out to Kafka, waiting up to {@code timeout} for one to be
     * there and for room in flight; null when there was none. Each reading taken must come back
     * through {@link #delivered()} or {@link #giveBack}.
     */
    GpuSample take(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (waiting.isEmpty() || inFlight >= maxInFlight) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = changed.awaitNanos(nanos);
            }
            inFlight++;
            return waiting.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Kafka acknowledged a reading taken out. */
    void delivered() {
        lock.lock();
        try {
            inFlight--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Kafka did not take a reading taken out: it waits again, as the oldest (it is older than
     * everything waiting), so when the buffer is full it is the one dropped.
     */
    void giveBack(GpuSample reading) {
        lock.lock();
        try {
            inFlight--;
            if (waiting.size() == capacity) {
                dropped++;
            } else {
                waiting.addFirst(reading);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A consistent snapshot of the counts. */
    Counts counts() {
        lock.lock();
        try {
            return new Counts(waiting.size(), inFlight, dropped);
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        return capacity;
    }
}
