package dev.substrate.sources.telemetry;

import dev.substrate.events.GpuSample;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A Flink source (FLIP-27) of {@link GpuSample} readings from the CSV that {@code nvidia-smi
 * --query-gpu=... --format=csv[,nounits] -l[ms] N} writes: replays files to their end, or tails
 * them as nvidia-smi appends (then the source never ends). Lines are mapped by {@link
 * NvidiaSmiCsvParser}, with or without units; a line that cannot be read is skipped, counted in
 * {@code numRecordsInErrors} and logged with its file and line number. The read position is
 * checkpointed, so a restored job continues after the last line it had read.
 *
 * <pre>{@code
 * NvidiaSmiCsvSource source = NvidiaSmiCsvSource.builder()
 *         .file(Path.of("/var/log/gpu/n001.csv"), "us-east-1", "use1-h100-a", "n001")
 *         .tail(Duration.ofMillis(250))
 *         .build();
 * env.fromSource(source, TelemetryWindows.watermarks(config), "nvidia-smi");
 * }</pre>
 *
 * <p>Each file is one split; file {@code i} is read by subtask {@code i % parallelism}.
 */
public final class NvidiaSmiCsvSource
        implements Source<GpuSample, NvidiaSmiCsvSplit, List<NvidiaSmiCsvSplit>> {

    private static final long serialVersionUID = 1L;

    private final List<NvidiaSmiCsvSplit> files;
    @Nullable private final Duration tailInterval;

    private NvidiaSmiCsvSource(List<NvidiaSmiCsvSplit> files, @Nullable Duration tailInterval) {
        this.files = List.copyOf(files);
        this.tailInterval = tailInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Boundedness getBoundedness() {
        return tailInterval == null ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<GpuSample, NvidiaSmiCsvSplit> createReader(SourceReaderContext context) {
        return new NvidiaSmiCsvReader(context, tailInterval);
    }

    @Override
    public SplitEnumerator<NvidiaSmiCsvSplit, List<NvidiaSmiCsvSplit>> createEnumerator(
            SplitEnumeratorContext<NvidiaSmiCsvSplit> context) {
        return new StaticSplitEnumerator<>(context, files);
    }

    @Override
    public SplitEnumerator<NvidiaSmiCsvSplit, List<NvidiaSmiCsvSplit>> restoreEnumerator(
            SplitEnumeratorContext<NvidiaSmiCsvSplit> context, List<NvidiaSmiCsvSplit> pending) {
        return new StaticSplitEnumerator<>(context, pending);
    }

    @Override
    public SimpleVersionedSerializer<NvidiaSmiCsvSplit> getSplitSerializer() {
        return NvidiaSmiCsvSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<List<NvidiaSmiCsvSplit>> getEnumeratorCheckpointSerializer() {
        return new SplitListSerializer<>(NvidiaSmiCsvSplitSerializer.INSTANCE);
    }

    /** Builds an {@link NvidiaSmiCsvSource}. */
    public static final class Builder {
        private final List<NvidiaSmiCsvSplit> files = new ArrayList<>();
        private ZoneId zone = ZoneOffset.UTC;
        @Nullable private Duration tailInterval;

        private Builder() {}

        /** Adds a file of readings taken on {@code node} of {@code cluster} in {@code region}. */
        public Builder file(Path path, String region, String cluster, String node) {
            files.add(
                    new NvidiaSmiCsvSplit(
                            files.size(),
                            path.toAbsolutePath().toString(),
                            region,
                            cluster,
                            node,
                            "UTC",
                            0,
                            0,
                            null));
            return this;
        }

        /** The zone nvidia-smi printed its timestamps in (the host's zone); default UTC. */
        public Builder zone(ZoneId zone) {
            this.zone = Objects.requireNonNull(zone, "zone");
            return this;
        }

        /**
         * Keep reading the files as they grow, looking for new lines every {@code interval}; the
         * source is then unbounded. Without this call the files are replayed once.
         */
        public Builder tail(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("tail interval must be positive: " + interval);
            }
            this.tailInterval = interval;
            return this;
        }

        public NvidiaSmiCsvSource build() {
            if (files.isEmpty()) {
                throw new IllegalStateException("Add at least one nvidia-smi CSV file");
            }
            List<NvidiaSmiCsvSplit> zoned = new ArrayList<>(files.size());
            for (NvidiaSmiCsvSplit f : files) {
                zoned.add(
                        new NvidiaSmiCsvSplit(
                                f.index(),
                                f.path(),
                                f.region(),
                                f.cluster(),
                                f.node(),
                                zone.getId(),
                                0,
                                0,
                                null));
            }
            return new NvidiaSmiCsvSource(zoned, tailInterval);
        }
    }
}
