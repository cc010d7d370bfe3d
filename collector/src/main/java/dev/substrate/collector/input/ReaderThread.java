package dev.substrate.collector.input;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The thread an input reads on and the switch that stops it: its waits (a poll interval, a restart
 * backoff) end as soon as the input is closed, so closing never waits out a backoff.
 */
final class ReaderThread {

    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final CountDownLatch closed = new CountDownLatch(1);
    private Thread thread;

    /** Runs {@code body} on a new daemon thread called {@code name}. */
    void start(String name, Runnable body) {
        thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    boolean isClosed() {
        return closed.getCount() == 0;
    }

    /** Waits {@code wait}; true when the input was closed meanwhile (or the thread interrupted). */
    boolean sleep(Duration wait) {
        try {
            return closed.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Ends every wait from now on; the thread sees {@link #isClosed()}. */
    void signalClose() {
        closed.countDown();
    }

    /** Waits a few seconds for the thread to finish what it was handing over. */
    void join() {
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(JOIN_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
