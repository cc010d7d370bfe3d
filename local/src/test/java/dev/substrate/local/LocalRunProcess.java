package dev.substrate.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code substrate local} in a child JVM, as a user starts it, so a test can kill it with {@code
 * kill -9} (SIGKILL: no shutdown hook, no final savepoint) and read what it printed.
 */
final class LocalRunProcess implements AutoCloseable {

    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private LocalRunProcess(Process process) {
        this.process = process;
        this.reader = new Thread(this::readOutput, "local-run-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code substrate local <args>} with the test's classpath and Flink's JVM flags. */
    static LocalRunProcess start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    /** As {@link #start(String...)}, with {@code environment} added to this process's. */
    static LocalRunProcess start(Map<String, String> environment, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The pipeline and the lake maintenance job hold about 280 tasks: at 768 MB a run spent a
        // sixth of its time in full collections, its old generation full.
        command.add("-Xmx2g");
        command.add("-XX:+UseSerialGC");
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("--add-opens") || flag.startsWith("--add-exports")) {
                command.add(flag);
            }
        }
        command.add("-Dlog4j2.configurationFile=log4j2-local.xml");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.substrate.local.cli.SubstrateCli");
        command.add("local");
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        return new LocalRunProcess(builder.start());
    }

    private void readOutput() {
        try (BufferedReader in =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process was killed: its output ends here
        }
    }

    /** Waits until a printed line matches, and returns it; fails when the run ends first. */
    String awaitLine(Predicate<String> matches, Duration timeout) throws InterruptedException {
        long giveUp = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        synchronized (lines) {
            while (true) {
                for (; checked < lines.size(); checked++) {
                    if (matches.test(lines.get(checked))) {
                        return lines.get(checked);
                    }
                }
                long left = giveUp - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !reader.isAlive())) {
                    throw new AssertionError(
                            "The local run never printed the line expected"
                                    + (process.isAlive() ? "" : " (it exited)")
                                    + "; it printed:\n"
                                    + output());
                }
                lines.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
            }
        }
    }

    /** Counts the progress lines printed so far (one every five seconds while the job runs). */
    long progressLines() {
        synchronized (lines) {
            return lines.stream().filter(line -> line.startsWith("[")).count();
        }
    }

    /** SIGKILL, as {@code kill -9}: the JVM gets no chance to stop anything cleanly. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGINT, as Ctrl-C: asks the run to stop cleanly (final savepoint, summary, audit). */
    void interrupt() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -INT " + process.pid() + " failed");
        }
    }

    long pid() {
        return process.pid();
    }

    /** Waits for the run to end and returns its exit code. */
    int await(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(
                    "The local run did not end within " + timeout + "; it printed:\n" + output());
        }
        reader.join(5_000);
        return process.exitValue();
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
