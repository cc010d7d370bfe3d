package dev.substrate.collector.input;

import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import dev.substrate.sources.telemetry.NvidiaSmiFormatException;
import org.slf4j.Logger;

/**
 * Turns the lines of one nvidia-smi CSV stream into readings: the first non-blank line is the
 * header; a repeated header is skipped; a line that is not a reading but a header with other
 * columns (a file replaced by a capture with another {@code --query-gpu}) becomes the header from
 * then on; any other bad line is counted as an error and skipped, never fatal.
 */
final class NvidiaSmiLines {

    private final NvidiaSmiCsvParser parser;
    private final ReadingSink sink;
    private final InputCounters counters;
    private final Logger log;
    private NvidiaSmiCsvParser.RowParser rows;
    private long lineNumber;

    NvidiaSmiLines(
            NvidiaSmiCsvParser parser, ReadingSink sink, InputCounters counters, Logger log) {
        this.parser = parser;
        this.sink = sink;
        this.counters = counters;
        this.log = log;
    }

    /** Whether a header has been read. */
    boolean hasHeader() {
        return rows != null;
    }

    /**
     * Reads one line (without its line break).
     *
     * @throws NvidiaSmiFormatException when the first line is not a header nvidia-smi would print
     */
    void accept(String line) {
        lineNumber++;
        if (line.isBlank()) {
            return;
        }
        if (rows == null) {
            rows = parser.forHeader(line);
            return;
        }
        if (rows.isHeader(line)) {
            return;
        }
        GpuSample sample;
        try {
            sample = rows.parse(line);
        } catch (NvidiaSmiFormatException notAReading) {
            try {
                rows = parser.forHeader(line);
                return;
            } catch (NvidiaSmiFormatException notAHeader) {
                counters.error("line " + lineNumber + ": " + notAReading.getMessage(), log);
                return;
            }
        }
        sink.accept(sample);
        counters.readOne();
    }
}
