package dev.substrate.collector.input;

import dev.substrate.collector.CollectorStartException;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.sources.telemetry.NvidiaSmiFormatException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an nvidia-smi CSV file ({@code nvidia-smi --query-gpu=... --format=csv -lms 250 -f
 * gpu.csv}, or a capture copied from elsewhere). Without follow it reads the file once to its end
 * and is {@linkplain InputStatus#finished() finished}. With follow it behaves like {@code tail -F}:
 * it keeps reading as the file grows, reads only complete lines (a line still being written waits
 * for its newline), starts again from the top when the file is truncated, and when the file is
 * rotated (renamed away and created anew) it reads the old file to its end and then the new one; a
 * file that does not exist yet is waited for.
 */
public final class CsvFileInput implements TelemetryInput {

    private static final Logger LOG = LoggerFactory.getLogger(CsvFileInput.class);
    private static final int CHUNK = 64 * 1024;

    /** nvidia-smi lines are a few hundred bytes; a longer "line" is not nvidia-smi output. */
    private static final int MAX_LINE = 64 * 1024;

    private final Path file;
    private final boolean follow;
    private final InputSettings settings;
    private final InputCounters counters;
    private final ReaderThread reader = new ReaderThread();

    public CsvFileInput(Path file, boolean follow, InputSettings settings) {
        this.file = Objects.requireNonNull(file, "file");
        this.follow = follow;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.counters = new InputCounters("file " + file);
    }

    @Override
    public void start(ReadingSink sink) throws CollectorStartException {
        NvidiaSmiCsvParser parser =
                new NvidiaSmiCsvParser(
                        settings.region(),
                        settings.cluster(),
                        settings.localNode(),
                        settings.zone());
        if (Files.exists(file)) {
            checkHeader(parser);
        } else if (!follow) {
            throw new CollectorStartException(
                    "The nvidia-smi CSV file "
                            + file.toAbsolutePath()
                            + " does not exist. Check the path, or add --follow to wait for it.");
        } else {
            settings.notice("Waiting for " + file + " to appear.");
        }
        NvidiaSmiLines lines = new NvidiaSmiLines(parser, sink, counters, LOG);
        reader.start("csv-file-reader", () -> readLoop(lines));
    }

    /** A file that exists must start with the header, unless it is still empty and followed. */
    private void checkHeader(NvidiaSmiCsvParser parser) throws CollectorStartException {
        String header = null;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    header = line;
                    break;
                }
            }
        } catch (IOException e) {
            throw new CollectorStartException("Cannot read " + file + ": " + e, e);
        }
        if (header == null) {
            if (!follow) {
                throw new CollectorStartException(
                        file
                                + " is empty: there is nothing to replay (add --follow to wait for"
                                + " lines).");
            }
            return;
        }
        try {
            parser.forHeader(header);
        } catch (NvidiaSmiFormatException e) {
            throw new CollectorStartException(
                    file
                            + " does not start with an nvidia-smi CSV header: "
                            + e.getMessage()
                            + ". Capture with nvidia-smi --query-gpu="
                            + NvidiaSmiCsvParser.queryGpuArgument()
                            + " --format=csv,nounits -lms 1000 -f FILE.",
                    e);
        }
    }

    private void readLoop(NvidiaSmiLines lines) {
        try {
            new Tail(lines).run();
        } catch (IOException | RuntimeException e) {
            counters.error("stopped reading: " + e, LOG);
            settings.notice(file + ": stopped reading: " + e.getMessage());
        } finally {
            counters.finished();
        }
    }

    @Override
    public InputStatus status() {
        return counters.status();
    }

    @Override
    public void close() {
        reader.signalClose();
        reader.join();
    }

    /** Where the reader is: the open file, its identity, the offset and an unfinished line. */
    private final class Tail {
        private final NvidiaSmiLines lines;
        private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private FileChannel channel;
        private Object fileKey;
        private long offset;
        private boolean skippingLongLine;

        Tail(NvidiaSmiLines lines) {
            this.lines = lines;
        }

        void run() throws IOException {
            try {
                while (!reader.isClosed()) {
                    if (channel == null && !open()) {
                        if (!follow) {
                            throw new NoSuchFileException(file.toString());
                        }
                        if (reader.sleep(settings.pollInterval())) {
                            return;
                        }
                        continue;
                    }
                    if (readChunk() > 0) {
                        continue;
                    }
                    if (!follow) {
                        endOfLine(); // the last line of a finished file needs no newline
                        return;
                    }
                    if (rotated()) {
                        // What was written to the old file up to now is still read from it.
                        while (readChunk() > 0) {
                            // drain
                        }
                        endOfLine();
                        settings.notice(file + " was rotated: reading the new file.");
                        closeChannel();
                        continue;
                    }
                    if (reader.sleep(settings.pollInterval())) {
                        return;
                    }
                }
            } finally {
                closeChannel();
            }
        }

        private boolean open() throws IOException {
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                return false;
            }
            fileKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            offset = 0;
            partial.reset();
            return true;
        }

        /** Reads what is there now, up to a chunk; returns the bytes read. */
        private int readChunk() throws IOException {
            long size = channel.size();
            if (size < offset) {
                settings.notice(
                        file
                                + " was truncated ("
                                + size
                                + " < "
                                + offset
                                + " bytes read):"
                                + " reading it from the start.");
                offset = 0;
                partial.reset();
                skippingLongLine = false;
            }
            chunk.clear();
            int n = channel.read(chunk, offset);
            if (n <= 0) {
                return 0;
            }
            offset += n;
            byte[] bytes = chunk.array();
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (bytes[i] == '\n') {
                    append(bytes, start, i);
                    endOfLine();
                    start = i + 1;
                }
            }
            append(bytes, start, n);
            return n;
        }

        private void append(byte[] bytes, int from, int to) {
            if (skippingLongLine) {
                return;
            }
            if (partial.size() + (to - from) > MAX_LINE) {
                counters.error("a line longer than " + MAX_LINE + " bytes: skipped", LOG);
                partial.reset();
                skippingLongLine = true;
                return;
            }
            partial.write(bytes, from, to - from);
        }

        private void endOfLine() {
            if (skippingLongLine) {
                skippingLongLine = false;
                return;
            }
            if (partial.size() == 0) {
                return;
            }
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            try {
                lines.accept(line);
            } catch (NvidiaSmiFormatException e) {
                // A truncated or new file that starts with something other than a header.
                counters.error("not an nvidia-smi CSV header: " + e.getMessage(), LOG);
            }
        }

        /** Whether the path now names another file (or none): the open one was rotated away. */
        private boolean rotated() throws IOException {
            try {
                Object current = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
                return current != null && !current.equals(fileKey);
            } catch (NoSuchFileException e) {
                return true;
            }
        }

        private void closeChannel() throws IOException {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        }
    }
}
