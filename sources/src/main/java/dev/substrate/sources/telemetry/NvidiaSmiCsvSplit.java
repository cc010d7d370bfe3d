package dev.substrate.sources.telemetry;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * One nvidia-smi CSV file of one node, and how far it has been read: the byte offset after the last
 * complete line, that line's number, and the header once seen (so a restored reader parses the rest
 * without re-reading the top).
 *
 * @param index position among the source's files
 * @param path the file
 * @param region, cluster, node where the GPUs in the file live (nvidia-smi does not say)
 * @param zoneId zone of nvidia-smi's timestamps, e.g. {@code UTC}
 * @param offset bytes consumed
 * @param lineNumber lines consumed
 * @param header the header line, null until read
 */
public record NvidiaSmiCsvSplit(
        int index,
        String path,
        String region,
        String cluster,
        String node,
        String zoneId,
        long offset,
        long lineNumber,
        @Nullable String header)
        implements IndexedSplit, Serializable {

    public NvidiaSmiCsvSplit {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(zoneId, "zoneId");
    }

    @Override
    public String splitId() {
        return index + ":" + path;
    }

    NvidiaSmiCsvSplit at(long newOffset, long newLineNumber, @Nullable String newHeader) {
        return new NvidiaSmiCsvSplit(
                index, path, region, cluster, node, zoneId, newOffset, newLineNumber, newHeader);
    }
}
