package dev.substrate.collector.input;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** The counters behind an {@link InputStatus}, written by the input's threads. */
final class InputCounters {

    /** Errors logged one by one before the log only keeps every hundredth. */
    private static final int LOGGED_ERRORS = 20;

    private final String name;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String lastError;
    private volatile boolean finished;

    InputCounters(String name) {
        this.name = name;
    }

    void readOne() {
        read.incrementAndGet();
    }

    /** Counts an error, keeps it as the last one and logs it (the first ones, then a sample). */
    void error(String message, Logger log) {
        long n = errors.incrementAndGet();
        lastError = message;
        if (n <= LOGGED_ERRORS || n % 100 == 0) {
            log.warn("{}: {} ({} errors so far)", name, message, n);
        }
    }

    void finished() {
        finished = true;
    }

    String name() {
        return name;
    }

    InputStatus status() {
        return new InputStatus(name, read.get(), errors.get(), lastError, finished);
    }
}
