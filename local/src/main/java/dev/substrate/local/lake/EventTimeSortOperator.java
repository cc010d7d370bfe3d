package dev.substrate.local.lake;

import dev.substrate.operators.lateness.EventTimeWatermarks;
import java.io.Serial;
import java.util.Comparator;
import java.util.Objects;
import java.util.PriorityQueue;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Puts lake history back into event-time order: holds each record until the upstream watermark
 * (Iceberg's per-file minimum of the event-time column) says no earlier record can follow, then
 * emits it, oldest first, ties in arrival order. Only the files whose time ranges overlap are held
 * at once, never the interval. The buffer is no Flink state: {@link LakeHistorySource} refuses
 * checkpointed jobs, so a failed read fails its job and is started over, never restored without the
 * held records.
 */
final class EventTimeSortOperator<T> extends AbstractStreamOperator<T>
        implements OneInputStreamOperator<T, T>, BoundedOneInput {

    @Serial private static final long serialVersionUID = 1L;

    private final EventTimeWatermarks.EventTimeExtractor<T> time;
    private transient PriorityQueue<Held<T>> held;
    private transient long arrivals;

    EventTimeSortOperator(EventTimeWatermarks.EventTimeExtractor<T> time) {
        this.time = Objects.requireNonNull(time, "time");
    }

    @Override
    public void open() throws Exception {
        super.open();
        held =
                new PriorityQueue<>(
                        Comparator.<Held<T>>comparingLong(h -> h.at).thenComparingLong(h -> h.seq));
    }

    @Override
    public void processElement(StreamRecord<T> element) {
        T value = element.getValue();
        held.add(new Held<>(time.eventTime(value), arrivals++, value));
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        release(mark.getTimestamp());
        super.processWatermark(mark);
    }

    @Override
    public void endInput() {
        release(Long.MAX_VALUE);
    }

    private void release(long upTo) {
        while (!held.isEmpty() && held.peek().at <= upTo) {
            Held<T> next = held.poll();
            output.collect(new StreamRecord<>(next.value, next.at));
        }
    }

    private record Held<T>(long at, long seq, T value) {}
}
