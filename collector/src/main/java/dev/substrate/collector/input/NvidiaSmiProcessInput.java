package dev.substrate.collector.input;

import dev.substrate.collector.CollectorStartException;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.sources.telemetry.NvidiaSmiFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code nvidia-smi --query-gpu=<the fields the parser reads> --format=csv,nounits -lms
 * <interval>} and reads its output line by line as it prints it. When nvidia-smi dies (a driver
 * reload, an Xid that resets the GPU, someone killed it) the input says so and starts it again
 * after a backoff that doubles from the first wait up to the longest (reset once a run delivered
 * readings), so a broken driver costs one attempt per backoff, never a busy loop.
 *
 * <p>The first start must show that nvidia-smi works: it must print a header with the columns the
 * parser needs within the start timeout; otherwise {@link #start} fails with nvidia-smi's own
 * message (a missing binary, "couldn't communicate with the NVIDIA driver", a field an old driver
 * does not know).
 */
public final class NvidiaSmiProcessInput implements TelemetryInput {

    private static final Logger LOG = LoggerFactory.getLogger(NvidiaSmiProcessInput.class);
    private static final int STDERR_LINES_KEPT = 5;

    private final List<String> command;
    private final InputSettings settings;
    private final InputCounters counters;
    private final ReaderThread reader = new ReaderThread();
    private volatile Process process;

    /**
     * @param binary the nvidia-smi executable: a path, or a name looked up on the PATH
     * @param queryGpu the {@code --query-gpu} fields, normally {@link
     *     NvidiaSmiCsvParser#queryGpuArgument()}
     */
    public NvidiaSmiProcessInput(String binary, String queryGpu, InputSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.command =
                List.of(
                        Objects.requireNonNull(binary, "binary"),
                        "--query-gpu=" + Objects.requireNonNull(queryGpu, "queryGpu"),
                        "--format=csv,nounits",
                        "-lms",
                        String.valueOf(Math.max(1, settings.interval().toMillis())));
        this.counters = new InputCounters("nvidia-smi");
    }

    /** The command line this input runs. */
    public List<String> command() {
        return command;
    }

    @Override
    public void start(ReadingSink sink) throws CollectorStartException {
        Run first;
        try {
            first = launch();
        } catch (IOException e) {
            throw new CollectorStartException(
                    "Cannot run nvidia-smi as '"
                            + command.get(0)
                            + "': "
                            + e.getMessage()
                            + ". Install the NVIDIA driver (it ships nvidia-smi) or pass its path"
                            + " with --nvidia-smi /usr/bin/nvidia-smi.",
                    e);
        }
        CompletableFuture<Void> header = new CompletableFuture<>();
        reader.start("nvidia-smi-reader", () -> readForever(first, sink, header));
        try {
            header.get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            close();
            throw new CollectorStartException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            close();
            throw new CollectorStartException(
                    "nvidia-smi ("
                            + String.join(" ", command)
                            + ") printed no CSV header within "
                            + settings.startTimeout().toSeconds()
                            + " s. Run that command yourself to see what it does.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new CollectorStartException("Interrupted while starting nvidia-smi", e);
        }
    }

    /** Reads every run of nvidia-smi until closed, starting it again after each death. */
    private void readForever(Run first, ReadingSink sink, CompletableFuture<Void> firstHeader) {
        Duration backoff = settings.restartBackoff();
        Run run = first;
        while (true) {
            long readBefore = counters.status().read();
            String outcome = read(run, sink, firstHeader);
            if (firstHeader.isCompletedExceptionally() || reader.isClosed()) {
                return;
            }
            if (counters.status().read() > readBefore) {
                backoff = settings.restartBackoff(); // a run that delivered was a healthy one
            }
            String message = outcome + "; starting it again in " + describe(backoff);
            counters.error(message, LOG);
            settings.notice(message);
            run = null;
            while (run == null) {
                if (reader.sleep(backoff)) {
                    return;
                }
                backoff = min(backoff.multipliedBy(2), settings.maxRestartBackoff());
                try {
                    run = launch();
                } catch (IOException e) {
                    String failed =
                            "nvidia-smi could not be started again: "
                                    + e.getMessage()
                                    + "; next attempt in "
                                    + describe(backoff);
                    counters.error(failed, LOG);
                    settings.notice(failed);
                }
            }
        }
    }

    /** Reads one run to its end; returns what happened to it, for the user. */
    private String read(Run run, ReadingSink sink, CompletableFuture<Void> firstHeader) {
        NvidiaSmiLines lines =
                new NvidiaSmiLines(
                        new NvidiaSmiCsvParser(
                                settings.region(),
                                settings.cluster(),
                                settings.localNode(),
                                settings.zone()),
                        sink,
                        counters,
                        LOG);
        long readBefore = counters.status().read();
        String firstLine = null;
        String badHeader = null;
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(
                                run.process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (firstLine == null && !line.isBlank()) {
                    firstLine = line;
                }
                try {
                    lines.accept(line);
                } catch (NvidiaSmiFormatException e) {
                    // nvidia-smi printed an error instead of a header; it exits by itself.
                    badHeader = e.getMessage();
                    break;
                }
                if (lines.hasHeader()) {
                    firstHeader.complete(null);
                }
            }
        } catch (IOException e) {
            LOG.debug("Reading nvidia-smi's output failed", e);
        }
        if (reader.isClosed()) {
            return "closed";
        }
        String exit = describeExit(run, counters.status().read() - readBefore);
        if (lines.hasHeader()) {
            return "nvidia-smi " + exit;
        }
        String what =
                badHeader != null
                        ? exit + "; its first line is not the CSV header: " + badHeader
                        : firstLine == null ? exit + " without printing anything" : exit;
        if (!firstHeader.isDone()) {
            firstHeader.completeExceptionally(
                    new IOException(
                            "nvidia-smi ("
                                    + String.join(" ", command)
                                    + ") "
                                    + what
                                    + ". Check that the NVIDIA driver is loaded (run that command"
                                    + " yourself); an older driver may not know a field: pass the"
                                    + " fields it knows with --query-gpu."));
        }
        return "nvidia-smi " + what;
    }

    /** "exited with code 1 after 12 readings (it said: ...)", once the process has ended. */
    private String describeExit(Run run, long readings) {
        Integer code = awaitExit(run.process);
        String stderr = run.stderrTail();
        return (code == null ? "stopped answering and was killed" : "exited with code " + code)
                + " after "
                + readings
                + " readings"
                + (stderr.isEmpty() ? "" : " (it said: " + stderr + ")");
    }

    private Run launch() throws IOException {
        Process started = new ProcessBuilder(command).start();
        started.getOutputStream().close();
        Run run = new Run(started);
        process = started;
        if (reader.isClosed()) {
            started.destroy();
        }
        return run;
    }

    private static Integer awaitExit(Process process) {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                return process.exitValue();
            }
            process.destroy();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    @Override
    public InputStatus status() {
        return counters.status();
    }

    @Override
    public void close() {
        reader.signalClose();
        Process running = process;
        if (running != null) {
            running.destroy();
            try {
                if (!running.waitFor(2, TimeUnit.SECONDS)) {
                    running.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.destroyForcibly();
            }
        }
        reader.join();
        counters.finished();
    }

    /** One nvidia-smi process and the last lines it wrote to stderr. */
    private static final class Run {
        final Process process;
        private final Deque<String> stderr = new ArrayDeque<>();
        private final Thread stderrReader;

        Run(Process process) {
            this.process = process;
            stderrReader = new Thread(this::readStderr, "nvidia-smi-stderr");
            stderrReader.setDaemon(true);
            stderrReader.start();
        }

        private void readStderr() {
            try (BufferedReader err =
                    new BufferedReader(
                            new InputStreamReader(
                                    process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    if (line.isBlank()) {
                        continue;
                    }
                    synchronized (stderr) {
                        if (stderr.size() == STDERR_LINES_KEPT) {
                            stderr.removeFirst();
                        }
                        stderr.addLast(line.strip());
                    }
                }
            } catch (IOException e) {
                LOG.debug("nvidia-smi's stderr closed", e);
            }
        }

        /** The last lines of stderr, once the process has ended (or after a second). */
        String stderrTail() {
            try {
                stderrReader.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (stderr) {
                return String.join(" / ", stderr);
            }
        }
    }
}
