package dev.substrate.bench;

import java.io.Serializable;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A latency probe as a sink: every record is handed, with the wall clock at its arrival, to a
 * {@link Probe} that notes it in the benchmark's own process. Chained right behind the operator it
 * watches (same parallelism, forward), it sees each record on the operator's task thread as the
 * record leaves the operator, with no network hop, serializer or collect() client in between.
 */
final class ProbeSink<T> implements Sink<T> {

    private static final long serialVersionUID = 1L;

    /** What the probe does with each record: it runs on the task thread, so it must be quick. */
    @FunctionalInterface
    interface Probe<T> extends Serializable {
        void seen(T record, long wallMillis);
    }

    private final Probe<T> probe;

    ProbeSink(Probe<T> probe) {
        this.probe = probe;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new SinkWriter<>() {
            @Override
            public void write(T element, Context context) {
                probe.seen(element, System.currentTimeMillis());
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
