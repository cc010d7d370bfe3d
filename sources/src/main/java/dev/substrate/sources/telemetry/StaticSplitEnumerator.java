package dev.substrate.sources.telemetry;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

/**
 * Hands a fixed list of splits (files, endpoints) to the readers: split {@code i} goes to reader
 * {@code i % parallelism} when it registers, so an unbounded split (a tailed file, a scraped
 * endpoint) never waits behind another. Its checkpoint is the splits not yet handed out.
 */
final class StaticSplitEnumerator<SplitT extends IndexedSplit>
        implements SplitEnumerator<SplitT, List<SplitT>> {

    private final SplitEnumeratorContext<SplitT> context;
    private final List<SplitT> pending;

    StaticSplitEnumerator(SplitEnumeratorContext<SplitT> context, List<SplitT> pending) {
        this.context = context;
        this.pending = new ArrayList<>(pending);
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        // Splits are pushed when a reader registers; nothing is handed out on request.
    }

    @Override
    public void addSplitsBack(List<SplitT> splits, int subtaskId) {
        pending.addAll(splits);
        if (context.registeredReaders().containsKey(subtaskId)) {
            addReader(subtaskId);
        }
    }

    @Override
    public void addReader(int subtaskId) {
        int parallelism = context.currentParallelism();
        Iterator<SplitT> it = pending.iterator();
        while (it.hasNext()) {
            SplitT split = it.next();
            if (split.index() % parallelism == subtaskId) {
                context.assignSplit(split, subtaskId);
                it.remove();
            }
        }
        context.signalNoMoreSplits(subtaskId);
    }

    @Override
    public List<SplitT> snapshotState(long checkpointId) {
        return new ArrayList<>(pending);
    }

    @Override
    public void close() {}
}
