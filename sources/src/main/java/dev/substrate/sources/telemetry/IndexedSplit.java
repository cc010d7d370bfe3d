package dev.substrate.sources.telemetry;

import org.apache.flink.api.connector.source.SourceSplit;

/** A split with a stable position in its source's list, which decides the reader it goes to. */
public interface IndexedSplit extends SourceSplit {

    /** The split's position (0-based) among its source's splits. */
    int index();
}
