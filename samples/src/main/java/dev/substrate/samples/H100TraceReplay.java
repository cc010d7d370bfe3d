package dev.substrate.samples;

import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.GpuSampleIds;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * The real telemetry trace of one NVIDIA H100 80GB (nvidia-smi every 250 ms through idle, bf16
 * matmul, HBM copy, bursty inference and a memory ramp; it shows real SW power capping) as {@link
 * GpuSample} records, replayed as a small "real" cluster.
 *
 * <p>A {@link Plan} shifts the trace to a start time, repeats it back to back, and plays it on
 * {@code nodes × gpusPerNode} devices at once. Each device plays the trace from a different point
 * (phase-shifted, wrapping around) so they do not move in lockstep; device 0 of node 1 plays it as
 * recorded, under the original GPU uuid. Samples come in event-time order.
 */
public final class H100TraceReplay {

    /** The trace's file name, in the project's {@code sample-data/} folder. */
    public static final String TRACE_FILE = "nvidia-smi-h100-2026-11-26.csv";

    private final List<GpuSample> trace;
    private final String region;
    private final String cluster;
    private final long periodMillis;

    private H100TraceReplay(List<GpuSample> trace, String region, String cluster) {
        if (trace.size() < 2) {
            throw new IllegalArgumentException("A trace needs at least two samples");
        }
        this.trace = List.copyOf(trace);
        this.region = region;
        this.cluster = cluster;
        long span =
                trace.get(trace.size() - 1).getTimestamp().toEpochMilli()
                        - trace.get(0).getTimestamp().toEpochMilli();
        // The sampling period: the mean gap between readings.
        this.periodMillis = Math.max(1, Math.round((double) span / (trace.size() - 1)));
    }

    /** Loads a trace written by nvidia-smi (see {@link NvidiaSmiCsvParser}). */
    public static H100TraceReplay load(Path csv, String region, String cluster) throws IOException {
        String node = cluster + "-n001";
        return new H100TraceReplay(
                new NvidiaSmiCsvParser(region, cluster, node).parse(csv), region, cluster);
    }

    /**
     * Finds {@code sample-data/}{@value #TRACE_FILE} in the working directory or one of its parents
     * (the project root when run from a module).
     *
     * @throws IOException naming the folders searched when it is not there
     */
    public static Path locateTrace() throws IOException {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("sample-data").resolve(TRACE_FILE);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IOException(
                "Cannot find sample-data/"
                        + TRACE_FILE
                        + " in "
                        + start
                        + " or its parents; run from the Substrate project folder or pass the"
                        + " trace's path.");
    }

    /** The trace as recorded, one node, one GPU. */
    public List<GpuSample> trace() {
        return trace;
    }

    public Instant traceStart() {
        return trace.get(0).getTimestamp();
    }

    /** From the first reading to one period after the last: the length of one repetition. */
    public Duration traceDuration() {
        return Duration.ofMillis(
                trace.get(trace.size() - 1).getTimestamp().toEpochMilli()
                        - traceStart().toEpochMilli()
                        + periodMillis);
    }

    /**
     * How to replay the trace.
     *
     * @param startAt the event time of the first reading; null keeps the recorded times
     * @param repetitions how many times to play the trace back to back (at least 1)
     * @param nodes nodes of the replayed cluster (named {@code <cluster>-n001}...)
     * @param gpusPerNode devices per node
     */
    public record Plan(@Nullable Instant startAt, int repetitions, int nodes, int gpusPerNode) {
        public Plan {
            if (repetitions < 1 || nodes < 1 || gpusPerNode < 1) {
                throw new IllegalArgumentException(
                        "repetitions, nodes and gpusPerNode must be at least 1: " + this);
            }
            if (startAt != null) {
                startAt = Instant.ofEpochMilli(startAt.toEpochMilli());
            }
        }

        /** The trace once, as recorded, on one GPU. */
        public static Plan asRecorded() {
            return new Plan(null, 1, 1, 1);
        }

        public Plan startingAt(Instant start) {
            return new Plan(start, repetitions, nodes, gpusPerNode);
        }

        public Plan repeated(int times) {
            return new Plan(startAt, times, nodes, gpusPerNode);
        }

        public Plan onCluster(int nodeCount, int gpusEach) {
            return new Plan(startAt, repetitions, nodeCount, gpusEach);
        }

        public int devices() {
            return nodes * gpusPerNode;
        }
    }

    /** The number of samples {@code plan} yields. */
    public long size(Plan plan) {
        return (long) trace.size() * plan.repetitions() * plan.devices();
    }

    /** The samples of {@code plan}, in event-time order. */
    public Iterator<GpuSample> replay(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        long shift =
                plan.startAt() == null
                        ? 0
                        : plan.startAt().toEpochMilli() - traceStart().toEpochMilli();
        long repetitionMillis = traceDuration().toMillis();
        int rows = trace.size();
        int devices = plan.devices();
        String[] nodes = new String[devices];
        String[] uuids = new String[devices];
        for (int d = 0; d < devices; d++) {
            int node = d / plan.gpusPerNode();
            int index = d % plan.gpusPerNode();
            nodes[d] = String.format("%s-n%03d", cluster, node + 1);
            String original = trace.get(0).getGpuUuid();
            uuids[d] =
                    d == 0
                            ? original
                            : "GPU-"
                                    + SampleRandom.uuid(
                                            "h100-replay", original, nodes[d], "" + index);
        }
        return new Iterator<>() {
            private long step; // over repetitions × rows
            private int device;

            @Override
            public boolean hasNext() {
                return step < (long) rows * plan.repetitions();
            }

            @Override
            public GpuSample next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int row = (int) (step % rows);
                long repetition = step / rows;
                // Each device plays from its own offset into the trace, on the shared timeline.
                int playedRow = (int) ((row + (long) device * rows / devices) % rows);
                GpuSample played = trace.get(playedRow);
                Instant timestamp =
                        Instant.ofEpochMilli(
                                trace.get(row).getTimestamp().toEpochMilli()
                                        + shift
                                        + repetition * repetitionMillis);
                GpuSample sample =
                        GpuSample.newBuilder(played)
                                .setEventId(GpuSampleIds.eventId(uuids[device], timestamp))
                                .setTimestamp(timestamp)
                                .setRegion(region)
                                .setCluster(cluster)
                                .setNode(nodes[device])
                                .setGpuUuid(uuids[device])
                                .setGpuIndex(device % plan.gpusPerNode())
                                .build();
                if (++device == devices) {
                    device = 0;
                    step++;
                }
                return sample;
            }
        };
    }
}
