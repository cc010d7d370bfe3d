package dev.substrate.collector.input;

import dev.substrate.events.GpuSample;

/** Where an input puts each reading it has read; must not block for long. */
@FunctionalInterface
public interface ReadingSink {

    /** Takes one reading; called from the input's own thread. */
    void accept(GpuSample reading);
}
