package dev.substrate.collector.input;

import dev.substrate.collector.CollectorStartException;

/**
 * One source of GPU readings the collector runs: nvidia-smi spawned by the collector, a CSV file it
 * reads or tails, or a DCGM exporter endpoint it scrapes. Each input reads on its own thread and
 * hands every reading to a {@link ReadingSink}.
 */
public interface TelemetryInput extends AutoCloseable {

    /**
     * Starts reading into {@code sink}. Returns once the input has shown that it works (nvidia-smi
     * printed a valid header, the file exists with a valid header, the exporter answered its first
     * scrape); the reading goes on in the background.
     *
     * @throws CollectorStartException naming the input and the fix when it does not work
     */
    void start(ReadingSink sink) throws CollectorStartException;

    /** What the input has done so far; safe to call from any thread. */
    InputStatus status();

    /** Stops reading and releases the input's threads, process and files. Idempotent. */
    @Override
    void close();
}
