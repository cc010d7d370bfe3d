package dev.substrate.sources.telemetry;

import dev.substrate.events.GpuSample;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the nvidia-smi CSV files assigned to it line by line. In replay mode a file ends at its
 * end; when tailing, the reader looks for new lines every poll interval, the way {@code tail -f}
 * does, and only ever consumes complete lines (a line nvidia-smi is still writing waits for its
 * newline).
 */
final class NvidiaSmiCsvReader implements SourceReader<GpuSample, NvidiaSmiCsvSplit> {

    private static final Logger LOG = LoggerFactory.getLogger(NvidiaSmiCsvReader.class);
    private static final int CHUNK = 64 * 1024;
    private static final int LOGGED_BAD_LINES = 20;

    private final SourceReaderContext context;
    @Nullable private final Duration tailInterval;
    private final Counter badLines;
    private final List<Cursor> cursors = new ArrayList<>();
    private final byte[] buffer = new byte[CHUNK];
    private boolean noMoreSplits;
    private CompletableFuture<Void> available = new CompletableFuture<>();

    NvidiaSmiCsvReader(SourceReaderContext context, @Nullable Duration tailInterval) {
        this.context = context;
        this.tailInterval = tailInterval;
        this.badLines = context.metricGroup().getNumRecordsInErrorsCounter();
    }

    @Override
    public void start() {}

    @Override
    public InputStatus pollNext(ReaderOutput<GpuSample> output) throws Exception {
        int emitted = 0;
        for (Cursor cursor : cursors) {
            emitted += cursor.read(output);
        }
        cursors.removeIf(c -> c.finished);
        if (emitted > 0) {
            return InputStatus.MORE_AVAILABLE;
        }
        if (cursors.isEmpty() && noMoreSplits) {
            return InputStatus.END_OF_INPUT;
        }
        if (available.isDone()) {
            available = new CompletableFuture<>();
            if (!cursors.isEmpty() && tailInterval != null) {
                CompletableFuture<Void> wake = available;
                CompletableFuture.delayedExecutor(tailInterval.toMillis(), TimeUnit.MILLISECONDS)
                        .execute(() -> wake.complete(null));
            }
        }
        return InputStatus.NOTHING_AVAILABLE;
    }

    @Override
    public List<NvidiaSmiCsvSplit> snapshotState(long checkpointId) {
        List<NvidiaSmiCsvSplit> state = new ArrayList<>(cursors.size());
        for (Cursor cursor : cursors) {
            state.add(cursor.position());
        }
        return state;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return available;
    }

    @Override
    public void addSplits(List<NvidiaSmiCsvSplit> splits) {
        for (NvidiaSmiCsvSplit split : splits) {
            cursors.add(new Cursor(split));
        }
        available.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        available.complete(null);
    }

    @Override
    public void close() throws IOException {
        for (Cursor cursor : cursors) {
            cursor.close();
        }
        available.complete(null);
    }

    /** Where the reader is in one file. */
    private final class Cursor {
        private final NvidiaSmiCsvSplit split;
        private final NvidiaSmiCsvParser parser;
        private long offset;
        private long lineNumber;
        @Nullable private String header;
        @Nullable private NvidiaSmiCsvParser.RowParser rows;
        @Nullable private RandomAccessFile file;
        private boolean finished;
        private long badLineCount;

        Cursor(NvidiaSmiCsvSplit split) {
            this.split = split;
            this.parser =
                    new NvidiaSmiCsvParser(
                            split.region(),
                            split.cluster(),
                            split.node(),
                            ZoneId.of(split.zoneId()));
            this.offset = split.offset();
            this.lineNumber = split.lineNumber();
            this.header = split.header();
            this.rows = header == null ? null : parser.forHeader(header);
        }

        NvidiaSmiCsvSplit position() {
            return split.at(offset, lineNumber, header);
        }

        /** Reads the complete lines available now (one chunk); returns the readings emitted. */
        int read(ReaderOutput<GpuSample> output) throws IOException {
            if (file == null) {
                java.io.File f = new java.io.File(split.path());
                if (!f.exists()) {
                    if (tailInterval == null) {
                        throw new IOException("nvidia-smi CSV file " + split.path() + " not found");
                    }
                    return 0; // nvidia-smi has not created it yet
                }
                file = new RandomAccessFile(f, "r");
            }
            long length = file.length();
            if (length < offset) {
                LOG.warn(
                        "{} shrank below the {} bytes already read: it was truncated or replaced;"
                                + " reading it again from the start",
                        split.path(),
                        offset);
                offset = 0;
                lineNumber = 0;
                header = null;
                rows = null;
            }
            if (length == offset) {
                finished = tailInterval == null;
                return 0;
            }
            file.seek(offset);
            int n = file.read(buffer, 0, (int) Math.min(buffer.length, length - offset));
            int emitted = 0;
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n') {
                    emitted += line(start, i, output);
                    start = i + 1;
                }
            }
            if (start == 0 && n == buffer.length) {
                throw new IOException(
                        split.path() + " line " + (lineNumber + 1) + " is longer than " + CHUNK);
            }
            boolean atEnd = offset + n == length;
            if (start < n && atEnd && tailInterval == null) {
                emitted += line(start, n, output); // the last line of a replayed file, no newline
                start = n;
            }
            offset += start;
            return emitted;
        }

        private int line(int from, int to, ReaderOutput<GpuSample> output) {
            lineNumber++;
            int end = to > from && buffer[to - 1] == '\r' ? to - 1 : to;
            String line = new String(buffer, from, end - from, StandardCharsets.UTF_8);
            if (line.isBlank()) {
                return 0;
            }
            if (rows == null) {
                rows = parser.forHeader(line);
                header = line;
                return 0;
            }
            if (rows.isHeader(line)) {
                return 0;
            }
            GpuSample sample;
            try {
                sample = rows.parse(line, lineNumber);
            } catch (NvidiaSmiFormatException e) {
                badLines.inc();
                if (++badLineCount <= LOGGED_BAD_LINES) {
                    LOG.warn("Skipping a line of {}: {}", split.path(), e.getMessage());
                }
                return 0;
            }
            output.collect(sample, sample.getTimestamp().toEpochMilli());
            return 1;
        }

        void close() throws IOException {
            if (file != null) {
                file.close();
            }
        }
    }
}
